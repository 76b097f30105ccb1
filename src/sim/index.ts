export { simulate, defaultOptions, BUILT_IN_TOPOLOGY, DEFAULT_RENDITIONS } from './sim.js';
export type { SimOptions, SimTopology, Bounds, RunStats } from './sim.js';
export { PROFILES, type ProfileName } from './arrivals.js';
export type { SimResult } from './result.js';
export { resultJson, summaryText, renderSimHtml } from './report.js';
export { LiveSource, type CacheControlFn, type StreamSpec, type RenditionSpec } from './source.js';
export { streamDefaults } from './settings.js';
