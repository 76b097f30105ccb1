import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { parseTopology } from './load.js';
import { nodesOf } from './nodes.js';
import { overridesOf } from './settings.js';

const example = readFileSync(new URL('../../examples/two-regions.yaml', import.meta.url), 'utf8');

test('the example topology: its nodes, their URLs and the settings each is started with', () => {
  const r = parseTopology(example);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
  const nodes = nodesOf(r.topology);
  assert.deepEqual(
    nodes.map((n) => `${n.kind}:${n.name}:${n.region ?? '-'}`),
    [
      'origin:origin:-',
      'packager:packager:-',
      'relay:relay-eu:eu',
      'director:director:-',
      'shield:shield-eu:eu',
      'edge:edge-eu-1:eu',
      'edge:edge-eu-2:eu',
      'shield:shield-us:us',
      'edge:edge-us-1:us',
      'edge:edge-us-2:us',
    ],
  );
  assert.equal(nodes.find((n) => n.kind === 'director')?.url, 'http://127.0.0.1:8080');
  const edge = nodes.find((n) => n.name === 'edge-us-1')!;
  assert.deepEqual(overridesOf(r.topology, edge), {
    logLevel: 'warn',
    'cache.host': '127.0.0.1',
    'cache.port': 8121,
    'cache.name': 'edge-us-1',
    'cache.upstream': 'http://127.0.0.1:8120',
  });
  const packager = nodes.find((n) => n.kind === 'packager')!;
  assert.equal(overridesOf(r.topology, packager)['rtmp.port'], 1945);
  assert.equal(overridesOf(r.topology, packager)['rtmps.enabled'], false);
  // The broadcaster's port is the relay's; "primary: packager" is the packager's RTMP listener.
  const relay = nodes.find((n) => n.kind === 'relay')!;
  assert.deepEqual(overridesOf(r.topology, relay), {
    logLevel: 'warn',
    'rtmp.host': '127.0.0.1',
    'rtmp.port': 1935,
    'rtmp.enabled': true,
    'ingest.relay.primary': 'rtmp://127.0.0.1:1945',
    'rtmps.enabled': false,
  });
});

type Obj = Record<string, unknown>;

/** A small valid topology that each bad case below breaks in one way. */
function good() {
  return {
    origin: { name: 'origin', listen: '127.0.0.1:9001' },
    director: { name: 'director', listen: '127.0.0.1:9000', defaultRegion: 'eu' },
    relays: [{ name: 'relay', region: 'eu', rtmp: '127.0.0.1:9935', primary: 'rtmp://10.0.0.1/live' }],
    regions: [
      {
        name: 'eu',
        clients: ['10.1.0.0/16'],
        shields: [{ name: 'shield-eu', listen: '127.0.0.1:9010' }],
        edges: [{ name: 'edge-eu', listen: '127.0.0.1:9011', shield: 'shield-eu' }],
      },
      {
        name: 'us',
        shields: [{ name: 'shield-us', listen: '127.0.0.1:9020' }],
        edges: [{ name: 'edge-us', listen: '127.0.0.1:9021', shield: 'shield-us' }],
      },
    ],
  } as Obj & { regions: (Obj & { edges: Obj[] })[] };
}

const BAD: { what: string; change: (t: ReturnType<typeof good>) => unknown; problems: string[] }[] = [
  {
    what: 'unknown keys, at the top and in an edge',
    change: (t) => {
      t.colour = 'red';
      t.regions[0]!.edges[0]!.maxbytes = 5;
      return t;
    },
    problems: ['regions.0.edges.0: Unrecognized key: "maxbytes"', '(root): Unrecognized key: "colour"'],
  },
  {
    what: "an edge whose shield is another region's",
    change: (t) => ((t.regions[1]!.edges[0]!.shield = 'shield-eu'), t),
    problems: ['regions.1.edges.0.shield: "shield-eu" is not a shield of region "us"'],
  },
  {
    what: 'a fallback that is no shield',
    change: (t) => ((t.regions[1]!.edges[0]!.fallback = 'edge-eu'), t),
    problems: ['regions.1.edges.0.fallback: "edge-eu" is not a shield (nor a URL)'],
  },
  {
    what: 'a name used twice',
    change: (t) => ((t.regions[1]!.edges[0]!.name = 'edge-eu'), t),
    problems: ['regions.1.edges.0.name: "edge-eu" is already the name of regions.0.edges.0'],
  },
  {
    what: 'ports colliding on one host, and with a wildcard bind',
    change: (t) => {
      t.regions[0]!.edges[0]!.listen = '127.0.0.1:9010';
      t.regions[1]!.edges[0]!.listen = '0.0.0.0:9001';
      return t;
    },
    problems: [
      'regions.0.edges.0.listen: port 9010 on 127.0.0.1 is already taken by shield-eu (regions.0.shields.0.listen)',
      'regions.1.edges.0.listen: port 9001 on 0.0.0.0 is already taken by origin (origin.listen)',
    ],
  },
  {
    what: 'a client range that is not CIDR',
    change: (t) => (((t.regions[0] as Obj).clients = ['10.1.0.0', '10.2.0.0/40']), t),
    problems: [
      'regions.0.clients.0: "10.1.0.0" is not CIDR (ADDRESS/PREFIX)',
      'regions.0.clients.1: prefix of "10.2.0.0/40" must be 0-32',
    ],
  },
  {
    what: 'settings the configuration schema refuses, in a node and in the defaults',
    change: (t) => {
      t.regions[0]!.edges[0]!.set = { 'cache.holdTimeoutMs': 1 };
      t.regions[0]!.edges[0]!.maxBytes = 1000;
      t.defaults = { logLevel: 'loud' };
      return t;
    },
    problems: [
      'defaults: logLevel: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"|"silent"',
      'regions.0.edges.0: cache.maxBytes: Too small: expected number to be >=1048576',
      'regions.0.edges.0.set: cache.holdTimeoutMs: Too small: expected number to be >=10',
    ],
  },
  {
    what: 'a setting the configuration schema does not know',
    change: (t) => ((t.regions[0]!.edges[0]!.set = { 'cache.colour': 'red' }), t),
    problems: ['regions.0.edges.0.set: cache: Unrecognized key: "colour"'],
  },
  {
    what: 'references to regions and a packager that do not exist',
    change: (t) => {
      (t.director as Obj).defaultRegion = 'asia';
      t.relays = [{ name: 'relay', region: 'asia', rtmp: '127.0.0.1:9935', primary: 'packager' }];
      return t;
    },
    problems: [
      'director.defaultRegion: no region "asia"',
      'relays.0.region: no region "asia"',
      'relays.0.primary: "packager" is neither the packager nor an rtmp(s):// URL',
    ],
  },
  {
    what: 'listen addresses without a usable port, and no regions',
    change: (t) => {
      (t.origin as Obj).listen = '127.0.0.1';
      (t.director as Obj).listen = '127.0.0.1:70000';
      t.regions = [];
      return t;
    },
    problems: [
      'origin.listen: expected HOST:PORT with a port 1-65535',
      'director.listen: expected HOST:PORT with a port 1-65535',
      'regions: Too small: expected array to have >=1 items',
    ],
  },
];

for (const c of BAD)
  test(`a topology with ${c.what} is refused with exactly its problems`, () => {
    const r = parseTopology(stringify(c.change(good())));
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`), c.problems);
  });

test('YAML that does not parse, or repeats a key, is refused with its line', () => {
  const r = parseTopology('origin:\n  name: a\norigin:\n  name: b\n');
  assert.equal(r.ok, false);
  assert.match(
    r.ok ? '' : `${r.problems[0]!.path}: ${r.problems[0]!.message}`,
    /^\(yaml line 3\): .*unique/i,
  );
});

test('the good base topology itself passes', () => {
  assert.ok(parseTopology(stringify(good())).ok);
});
