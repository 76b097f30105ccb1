/** The load generator: virtual HLS/LL-HLS viewers over real HTTP, audience profiles, reports. */
export { runLoadtest, defaultSockets, type LoadtestOptions } from './run.js';
export { PROFILES, type ProfileName } from './profile.js';
export type { Report, SeriesRow } from './report.js';
export { summaryText, progressLine } from './summary.js';
