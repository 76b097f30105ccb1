import type { Topology } from './schema.js';
import { nodesOf, splitListen, type TopologyNode } from './nodes.js';

/**
 * What the topology says about a node, in keys of the one configuration schema. The node's
 * place and neighbours (host, port, upstream, tier name) come last, so a stray `set` cannot move
 * a node away from where the rest of the file expects it.
 */
export function placeOf(t: Topology, node: TopologyNode): Record<string, unknown> {
  const url = (name: string) => nodesOf(t).find((n) => n.name === name)?.url ?? '';
  const at = (prefix: string, listen: string) => {
    const { host, port } = splitListen(listen);
    return { [`${prefix}.host`]: host, [`${prefix}.port`]: port };
  };
  switch (node.kind) {
    case 'origin': {
      const o = t.origin;
      return { ...at('origin', o.listen), ...(o.maxBytes ? { 'origin.maxBytes': o.maxBytes } : {}) };
    }
    case 'shield': {
      const s = t.regions.flatMap((r) => r.shields).find((x) => x.name === node.name)!;
      return {
        ...at('shield', s.listen),
        'shield.name': s.name,
        'shield.upstream': url(t.origin.name),
        ...(s.maxBytes ? { 'shield.maxBytes': s.maxBytes } : {}),
      };
    }
    case 'edge': {
      const e = t.regions.flatMap((r) => r.edges).find((x) => x.name === node.name)!;
      return {
        ...at('cache', e.listen),
        'cache.name': e.name,
        'cache.upstream': url(e.shield),
        ...(e.maxBytes ? { 'cache.maxBytes': e.maxBytes } : {}),
      };
    }
    case 'packager': {
      const p = t.packager!;
      return {
        ...at('rtmp', p.rtmp),
        'rtmp.enabled': true,
        ...(p.rtmps ? at('rtmps', p.rtmps) : {}),
        'rtmps.enabled': p.rtmps !== undefined,
      };
    }
    case 'relay': {
      const r = t.relays.find((x) => x.name === node.name)!;
      // The packager by name means its RTMP listener. Anything else but a URL is reported by the
      // file's checks once, so it is left out here rather than refused again by the schema.
      const central = (key: string, v: string | undefined) => {
        const url = t.packager && v === t.packager.name ? `rtmp://${t.packager.rtmp}` : v;
        return url && /^rtmps?:\/\//.test(url) ? { [key]: url } : {};
      };
      return {
        ...at('rtmp', r.rtmp),
        'rtmp.enabled': true,
        ...central('ingest.relay.primary', r.primary),
        ...central('ingest.relay.backup', r.backup),
        ...(r.rtmps ? at('rtmps', r.rtmps) : {}),
        'rtmps.enabled': r.rtmps !== undefined,
      };
    }
    case 'director':
      return {};
  }
}

/** defaults < the node's own `set` < its place: the overrides `corral node` starts it with. */
export function overridesOf(t: Topology, node: TopologyNode): Record<string, unknown> {
  return { ...(t.defaults ?? {}), ...node.set, ...placeOf(t, node) };
}
