import type { Topology } from './schema.js';

export type NodeKind = 'origin' | 'packager' | 'shield' | 'edge' | 'director' | 'relay';

/** One process of the topology, flattened out of the file with where it came from. */
export interface TopologyNode {
  kind: NodeKind;
  name: string;
  /** Path of its entry in the file, for problems ("regions.0.edges.1"). */
  path: string;
  region?: string;
  /** Every HOST:PORT it binds, with the field that names it. */
  listens: { field: string; host: string; port: number }[];
  /** HTTP base URL others reach it at (HTTP nodes only). */
  url?: string;
  set: Record<string, unknown>;
}

export function splitListen(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  return { host: v.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(v.slice(i + 1)) };
}

/** The URL a bound address is reached at from this machine: a wildcard bind answers on loopback. */
export function urlOfListen(v: string): string {
  const { host, port } = splitListen(v);
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

function bound(listen: Record<string, string | undefined>): TopologyNode['listens'] {
  return Object.entries(listen).flatMap(([field, v]) =>
    v === undefined ? [] : [{ field, ...splitListen(v) }],
  );
}

/** Every node in file order: origin, packager, relays, director, then each region's shields and edges. */
export function nodesOf(t: Topology): TopologyNode[] {
  const out: TopologyNode[] = [];
  const http = (listen: string, url: string | undefined) => (url ?? urlOfListen(listen)).replace(/\/+$/, '');
  const o = t.origin;
  out.push({
    kind: 'origin',
    name: o.name,
    path: 'origin',
    listens: bound({ listen: o.listen }),
    url: http(o.listen, o.url),
    set: o.set ?? {},
  });
  if (t.packager) {
    const p = t.packager;
    out.push({
      kind: 'packager',
      name: p.name,
      path: 'packager',
      listens: bound({ rtmp: p.rtmp, rtmps: p.rtmps, metrics: p.metrics }),
      set: p.set ?? {},
    });
  }
  t.relays.forEach((r, i) =>
    out.push({
      kind: 'relay',
      name: r.name,
      path: `relays.${i}`,
      region: r.region,
      listens: bound({ rtmp: r.rtmp, rtmps: r.rtmps }),
      set: r.set ?? {},
    }),
  );
  if (t.director) {
    const d = t.director;
    out.push({
      kind: 'director',
      name: d.name,
      path: 'director',
      listens: bound({ listen: d.listen }),
      url: http(d.listen, d.url),
      set: d.set ?? {},
    });
  }
  t.regions.forEach((r, ri) => {
    r.shields.forEach((s, i) =>
      out.push({
        kind: 'shield',
        name: s.name,
        path: `regions.${ri}.shields.${i}`,
        region: r.name,
        listens: bound({ listen: s.listen }),
        url: http(s.listen, s.url),
        set: s.set ?? {},
      }),
    );
    r.edges.forEach((e, i) =>
      out.push({
        kind: 'edge',
        name: e.name,
        path: `regions.${ri}.edges.${i}`,
        region: r.name,
        listens: bound({ listen: e.listen }),
        url: http(e.listen, e.url),
        set: e.set ?? {},
      }),
    );
  });
  return out;
}
