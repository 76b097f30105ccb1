/** The load generator: virtual HLS/LL-HLS viewers over real HTTP, audience profiles, reports. */
export { runLoadtest, defaultSockets, type LoadtestOptions } from './run.js';
export { PROFILES, type ProfileName } from './profile.js';
export type { Report, SeriesRow } from './report.js';
export { summaryText, progressLine } from './summary.js';
export { renderReportHtml, MAIN_CHART_ID, REPORT_DATA_ID } from './report-html.js';
export { renderReportPng, writeReportPng } from './report-png.js';
export { parseReport, readReport } from './report-file.js';
