import { z } from 'zod';

/**
 * The shape of a topology file. Everything that tunes a node's behaviour goes through `set`, in the
 * keys of the one configuration schema (src/config/schema.ts), so a node started from a topology
 * and the same node started by hand cannot drift apart; only what the topology alone knows
 * (names, places, who talks to whom) has a field of its own here. Cross-references are checked
 * in check.ts, where the whole file is in view.
 */

/** Node names become --node arguments, log labels and X-Cache tier names: keep them plain. */
const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-"');

/** HOST:PORT; a fixed port, because other nodes (and other machines) must be told it. */
const listen = z.string().refine((v) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}, 'expected HOST:PORT with a port 1-65535');

/** The address others use, when it is not the listen address (0.0.0.0, NAT, a load balancer). */
const url = z.url({ protocol: /^https?$/ });

/** Dotted configuration keys with their values, as `--set` takes them. */
const settings = z.record(z.string().min(1), z.unknown());

const cacheNode = {
  name,
  listen,
  url: url.optional(),
  /** The store's byte budget (cache.maxBytes or shield.maxBytes). */
  maxBytes: z.number().int().positive().optional(),
  set: settings.optional(),
};

export const shieldSchema = z.strictObject(cacheNode);

export const edgeSchema = z.strictObject({
  ...cacheNode,
  /** A shield of the same region: the edge's upstream. */
  shield: name,
  /** A node name or URL to use when the shield fails (declared for the regional-isolation work). */
  fallback: z.union([name, url]).optional(),
});

export const regionSchema = z.strictObject({
  name,
  /** Client address ranges (CIDR) the director sends to this region. */
  clients: z.array(z.string()).default([]),
  shields: z.array(shieldSchema).min(1),
  edges: z.array(edgeSchema).min(1),
});

export const originSchema = z.strictObject({
  name,
  listen,
  url: url.optional(),
  /** The store's byte budget (origin.maxBytes). */
  maxBytes: z.number().int().positive().optional(),
  set: settings.optional(),
});

export const packagerSchema = z.strictObject({
  name,
  /** RTMP listener; the broadcaster (or the ingest relays) publish here. */
  rtmp: listen,
  /** RTMPS listener; absent: RTMPS off. */
  rtmps: listen.optional(),
  /** Where /metrics of the packager and transcoder is served; absent: none. */
  metrics: listen.optional(),
  set: settings.optional(),
});

export const relaySchema = z.strictObject({
  name,
  region: name,
  rtmp: listen,
  rtmps: listen.optional(),
  /** The central ingest it relays to: the packager's name, or an rtmp(s):// URL. */
  primary: z.string().min(1),
  backup: z.string().min(1).optional(),
  set: settings.optional(),
});

export const directorSchema = z.strictObject({
  name,
  listen,
  url: url.optional(),
  /** Region for viewers whose address matches no range and who did not ask with ?region=. */
  defaultRegion: name,
  /** How often each edge is asked for /healthz and /load. */
  pollMs: z.number().int().min(100).max(10_000).default(1_000),
  /** An edge whose last good answer is older than this gets no new viewers. */
  downAfterMs: z.number().int().min(200).max(60_000).default(2_500),
  set: settings.optional(),
});

export const topologySchema = z.strictObject({
  /** Settings every node starts with, before its own `set`. */
  defaults: settings.optional(),
  origin: originSchema,
  packager: packagerSchema.optional(),
  relays: z.array(relaySchema).default([]),
  director: directorSchema.optional(),
  regions: z.array(regionSchema).min(1),
});

export type Topology = z.infer<typeof topologySchema>;
export type RegionSpec = z.infer<typeof regionSchema>;
export type EdgeSpec = z.infer<typeof edgeSchema>;
export type ShieldSpec = z.infer<typeof shieldSchema>;
export type DirectorSpec = z.infer<typeof directorSchema>;
