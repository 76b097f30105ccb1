import { setPath } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { parseCidr } from './cidr.js';
import { nodesOf, type TopologyNode } from './nodes.js';
import type { Topology } from './schema.js';
import { overridesOf } from './settings.js';

export interface Problem {
  path: string;
  message: string;
}

const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * What a topology that passed the schema may still get wrong: references, collisions and settings
 * the configuration schema refuses. Every problem is returned, so one edit fixes a file.
 */
export function checkTopology(t: Topology): Problem[] {
  const nodes = nodesOf(t);
  return [
    ...uniqueNames(nodes, t),
    ...references(t, nodes),
    ...ports(nodes),
    ...ranges(t),
    ...settings(t, nodes),
  ];
}

function uniqueNames(nodes: TopologyNode[], t: Topology): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, string>();
  for (const n of nodes) {
    const first = seen.get(n.name);
    if (first !== undefined)
      out.push({ path: `${n.path}.name`, message: `"${n.name}" is already the name of ${first}` });
    else seen.set(n.name, n.path);
  }
  const regions = new Set<string>();
  t.regions.forEach((r, i) => {
    if (regions.has(r.name))
      out.push({ path: `regions.${i}.name`, message: `region "${r.name}" is named twice` });
    regions.add(r.name);
  });
  return out;
}

function references(t: Topology, nodes: TopologyNode[]): Problem[] {
  const out: Problem[] = [];
  const regions = new Set(t.regions.map((r) => r.name));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  t.regions.forEach((r, ri) =>
    r.edges.forEach((e, i) => {
      const at = `regions.${ri}.edges.${i}`;
      if (!r.shields.some((s) => s.name === e.shield))
        out.push({ path: `${at}.shield`, message: `"${e.shield}" is not a shield of region "${r.name}"` });
      if (
        e.fallback !== undefined &&
        !e.fallback.includes('://') &&
        byName.get(e.fallback)?.kind !== 'shield'
      )
        out.push({ path: `${at}.fallback`, message: `"${e.fallback}" is not a shield (nor a URL)` });
    }),
  );
  if (t.director && !regions.has(t.director.defaultRegion))
    out.push({ path: 'director.defaultRegion', message: `no region "${t.director.defaultRegion}"` });
  t.relays.forEach((r, i) => {
    if (!regions.has(r.region)) out.push({ path: `relays.${i}.region`, message: `no region "${r.region}"` });
    for (const field of ['primary', 'backup'] as const) {
      const v = r[field];
      if (v === undefined || /^rtmps?:\/\//.test(v)) continue;
      if (byName.get(v)?.kind !== 'packager')
        out.push({
          path: `relays.${i}.${field}`,
          message: `"${v}" is neither the packager nor an rtmp(s):// URL`,
        });
    }
  });
  return out;
}

/** Two binds of one port on one host collide; a wildcard bind takes the port on every address. */
function ports(nodes: TopologyNode[]): Problem[] {
  const out: Problem[] = [];
  const taken: { host: string; port: number; who: string }[] = [];
  for (const n of nodes)
    for (const l of n.listens) {
      const clash = taken.find(
        (x) => x.port === l.port && (x.host === l.host || WILDCARD.has(x.host) || WILDCARD.has(l.host)),
      );
      if (clash)
        out.push({
          path: `${n.path}.${l.field}`,
          message: `port ${l.port} on ${l.host} is already taken by ${clash.who}`,
        });
      else taken.push({ host: l.host, port: l.port, who: `${n.name} (${n.path}.${l.field})` });
    }
  return out;
}

function ranges(t: Topology): Problem[] {
  const out: Problem[] = [];
  t.regions.forEach((r, ri) =>
    r.clients.forEach((c, i) => {
      const parsed = parseCidr(c);
      if (typeof parsed === 'string') out.push({ path: `regions.${ri}.clients.${i}`, message: parsed });
    }),
  );
  return out;
}

/** Each node's settings through the one configuration schema, as `corral node` will load them. */
function settings(t: Topology, nodes: TopologyNode[]): Problem[] {
  const out: Problem[] = [];
  const refused = (overrides: Record<string, unknown>) => {
    const tree = {};
    for (const [k, v] of Object.entries(overrides)) setPath(tree, k, v as never);
    const r = configSchema.safeParse(tree);
    return r.success ? [] : r.error.issues;
  };
  const fromDefaults = new Set<string>();
  for (const i of refused(t.defaults ?? {})) {
    const key = i.path.join('.');
    fromDefaults.add(key);
    out.push({ path: 'defaults', message: `${key}: ${i.message}` });
  }
  for (const n of nodes)
    for (const i of refused(overridesOf(t, n))) {
      const key = i.path.join('.');
      if (fromDefaults.has(key)) continue;
      const inSet = Object.keys(n.set).some(
        (k) => k === key || k.startsWith(key + '.') || key.startsWith(k + '.'),
      );
      out.push({ path: inSet ? `${n.path}.set` : n.path, message: `${key}: ${i.message}` });
    }
  return out;
}
