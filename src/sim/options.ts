import type { ProfileName } from './arrivals.js';
import type { LinkSpec } from './link.js';
import type { CacheControlFn, RenditionSpec } from './source.js';

/** The nodes of a topology the simulator needs: shields and edges (each edge names its shield). */
export interface SimTopology {
  /** Where it came from: a file name, or "built-in". */
  source: string;
  shields: Array<{ name: string; region: string; maxBytes?: number | undefined }>;
  edges: Array<{ name: string; region: string; shield: string; maxBytes?: number | undefined }>;
}

/** What a node can take before it becomes the bottleneck (assumptions, stated in the output). */
export interface Bounds {
  /** Egress of one edge's network link, bits/s. */
  edgeEgressBps: number;
  /** Requests per second one edge process answers (docs: a bare Node.js server does ~19k small hits/s). */
  nodeRps: number;
  /** Open connections one edge holds (the open-files limit; each viewer keeps one). */
  connections: number;
}

export interface SimOptions {
  seed: number;
  viewers: number;
  durationS: number;
  profile: ProfileName;
  rampS: number;
  /** Viewers arriving within this many ms at one edge for one rendition are one cohort. */
  slotMs: number;
  topology: SimTopology;
  renditions: RenditionSpec[];
  segmentS: number;
  /** The origin's Cache-Control rule (src/origin/serve-object.ts cacheControlFor). */
  cacheControl: CacheControlFn;
  links: { origin: LinkSpec; shield: LinkSpec; viewer: LinkSpec };
  originDelayMs: number;
  bounds: Bounds;
  /** Estimated memory one parked request costs a real node (socket, request, response), bytes. */
  waiterBytes: number;
}
