import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { CacheNode } from '../../src/cache/index.js';
import { loadConfig } from '../../src/config/load.js';
import { parseTopology } from '../../src/topology/load.js';
import { nodesOf } from '../../src/topology/nodes.js';
import type { Topology } from '../../src/topology/schema.js';
import { overridesOf } from '../../src/topology/settings.js';
import { silentLogger } from '../../src/util/logger.js';
import {
  CONFIGMAP,
  OUT_DIR,
  ROOT,
  SOURCE,
  TOPOLOGY_PATH,
  generatedFilesIn,
  renderManifests,
} from '../../deploy/kubernetes/generate.js';

/**
 * deploy/kubernetes/ as CI can check it without a cluster: every manifest valid against the
 * Kubernetes schema (kubernetes-models), generated from the topology it carries, one Deployment and
 * one Service per node of that topology, and every edge behind a readiness probe it answers.
 */

type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string }; [k: string]: unknown };

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
};

/** Validate one manifest with the kubernetes-models class of its apiVersion and kind. */
function validate(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no model for ${o.apiVersion} ${o.kind}`);
  new Model(o as never).validate();
}

const sourceText = readFileSync(join(ROOT, SOURCE), 'utf8');
const files = readdirSync(OUT_DIR)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .sort();
const docs: { file: string; obj: Obj }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(OUT_DIR, file), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${file}: YAML errors`);
    return { file, obj: d.toJS() as Obj };
  }),
);
const ofKind = <T = Obj>(kind: string): T[] => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj as T);

function topologyOf(text: string): Topology {
  const r = parseTopology(text);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
  return r.topology;
}

test('the checked-in manifests are exactly what generate.ts makes from the topology', () => {
  const expected = renderManifests(sourceText, SOURCE);
  assert.deepEqual(files, [...expected.keys()].sort(), 'files in deploy/kubernetes/');
  assert.deepEqual(generatedFilesIn(OUT_DIR), files, 'every manifest here is generated');
  for (const [f, body] of expected)
    assert.equal(
      readFileSync(join(OUT_DIR, f), 'utf8'),
      body,
      `${f} is out of date: run npx tsx deploy/kubernetes/generate.ts`,
    );
});

test('every manifest is valid against the Kubernetes schema', () => {
  assert.ok(docs.length >= 3);
  for (const { file, obj } of docs)
    assert.doesNotThrow(() => validate(obj), `${file}: ${obj.kind} ${obj.metadata?.name}`);
});

test('validation refuses broken manifests (the check can fail)', () => {
  const deployment = structuredClone(ofKind<Obj & { spec: Record<string, unknown> }>('Deployment')[0]!);
  assert.doesNotThrow(() => validate(deployment));
  delete deployment.spec.selector;
  assert.throws(() => validate(deployment), /selector/);
  const service = structuredClone(ofKind<Obj & { spec: { ports: { port: unknown }[] } }>('Service')[0]!);
  service.spec.ports[0]!.port = 'eighty';
  assert.throws(() => validate(service), /port/);
  assert.throws(() => validate({ apiVersion: 'v1', kind: 'Pod' }), /no model/);
});

test('the ConfigMap holds the topology file byte for byte, and the pods mount it', () => {
  const maps = ofKind<{ metadata: { name: string }; data: Record<string, string> }>('ConfigMap');
  assert.equal(maps.length, 1);
  assert.equal(maps[0]!.metadata.name, CONFIGMAP);
  assert.equal(maps[0]!.data['topology.yaml'], sourceText);
  topologyOf(maps[0]!.data['topology.yaml']!);
  for (const d of ofKind<DeploymentShape>('Deployment')) {
    const pod = d.spec.template.spec;
    const volume = pod.volumes.find((v) => v.configMap?.name === CONFIGMAP);
    assert.ok(volume, `${d.metadata.name}: no volume of the ConfigMap`);
    const mount = pod.containers[0]!.volumeMounts.find((m) => m.name === volume.name);
    assert.equal(`${mount?.mountPath}/topology.yaml`, TOPOLOGY_PATH, d.metadata.name);
  }
});

interface DeploymentShape {
  metadata: { name: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: {
          args: string[];
          ports: { name: string; containerPort: number }[];
          readinessProbe?: { httpGet?: { path: string; port: string | number } };
          volumeMounts: { name: string; mountPath: string }[];
        }[];
        volumes: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}
interface ServiceShape {
  metadata: { name: string };
  spec: { selector: Record<string, string>; ports: { port: number; targetPort: string | number }[] };
}

test('one Deployment and one Service per node of the topology, each starting and reaching its node', () => {
  const t = topologyOf(sourceText);
  const nodes = nodesOf(t);
  const deployments = ofKind<DeploymentShape>('Deployment');
  const services = ofKind<ServiceShape>('Service');
  const named = new Map<string, number>();
  for (const d of deployments) {
    const args = d.spec.template.spec.containers[0]!.args;
    assert.deepEqual(args.slice(0, 4), ['node', '--topology', TOPOLOGY_PATH, '--node'], d.metadata.name);
    assert.equal(args.length, 5, `${d.metadata.name}: ${args.join(' ')}`);
    const node = nodes.find((n) => n.name === args[4]);
    assert.ok(node, `${d.metadata.name} runs "${args[4]}", which is no node of ${SOURCE}`);
    named.set(node.name, (named.get(node.name) ?? 0) + 1);
  }
  for (const n of nodes) assert.equal(named.get(n.name), 1, `Deployments running node ${n.name}`);
  assert.equal(deployments.length, nodes.length);

  for (const n of nodes) {
    const d = deployments.find((x) => x.spec.template.spec.containers[0]!.args[4] === n.name)!;
    const labels = d.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(labels[k], v);
    // The file's host names are Service names: one Service per node, named like it, on its ports.
    const s = services.find((x) => x.metadata.name === n.name);
    assert.ok(s, `no Service ${n.name}`);
    for (const [k, v] of Object.entries(s.spec.selector)) assert.equal(labels[k], v, `${n.name} selector`);
    const ports = d.spec.template.spec.containers[0]!.ports;
    assert.deepEqual(
      s.spec.ports.map((p) => p.port).sort(),
      n.listens.map((l) => l.port).sort(),
      `${n.name}: Service ports`,
    );
    for (const p of s.spec.ports)
      assert.equal(ports.find((c) => c.name === p.targetPort)?.containerPort, p.port, `${n.name} targetPort`);
  }
  assert.equal(services.length, nodes.length);
});

test('every edge Deployment has a readiness probe on the edge health endpoint, and an edge answers it', async () => {
  const t = topologyOf(sourceText);
  const edges = nodesOf(t).filter((n) => n.kind === 'edge');
  assert.ok(edges.length > 0);
  const paths = new Set<string>();
  for (const e of edges) {
    const d = ofKind<DeploymentShape>('Deployment').find((x) => x.metadata.name === e.name);
    const c = d?.spec.template.spec.containers[0];
    const probe = c?.readinessProbe?.httpGet;
    assert.ok(probe, `${e.name}: no readinessProbe.httpGet`);
    const port =
      typeof probe.port === 'number' ? probe.port : c.ports.find((p) => p.name === probe.port)?.containerPort;
    assert.equal(port, e.listens[0]!.port, `${e.name}: probe port`);
    paths.add(probe.path);
  }
  // The path the probes ask is one a running edge answers with 200 (its upstream need not be up).
  const config = loadConfig({ env: {} });
  const node = new CacheNode({
    config: config.cache,
    upstream: 'http://127.0.0.1:9',
    logger: silentLogger(),
    role: 'edge',
  });
  const { port } = await node.listen(0, '127.0.0.1');
  try {
    for (const path of paths) {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(r.status, 200, path);
      await r.arrayBuffer();
    }
  } finally {
    await node.close();
  }
});

test('in the cluster topology every node binds 0.0.0.0 and finds its upstream by Service name', () => {
  const t = topologyOf(sourceText);
  const nodes = nodesOf(t);
  const services = new Set(ofKind<ServiceShape>('Service').map((s) => s.metadata.name));
  for (const n of nodes) {
    for (const l of n.listens) assert.equal(l.host, '0.0.0.0', `${n.name} ${l.field}`);
    const o = overridesOf(t, n);
    for (const key of ['cache.upstream', 'shield.upstream', 'ingest.relay.primary', 'ingest.relay.backup']) {
      const v = o[key];
      if (typeof v !== 'string') continue;
      assert.ok(services.has(new URL(v).hostname), `${n.name}: ${key} ${v} is no Service`);
    }
    if (n.url && n.kind !== 'edge')
      assert.ok(services.has(new URL(n.url).hostname), `${n.name}: url ${n.url}`);
  }
});

test('generate.ts refuses a topology a cluster cannot run', () => {
  // The one-machine example binds 127.0.0.1 and leaves URLs to be derived from it.
  const local = readFileSync(join(ROOT, 'examples/two-regions.yaml'), 'utf8');
  assert.throws(() => renderManifests(local, 'two-regions.yaml'), /bind 0\.0\.0\.0[\s\S]*relays\.0\.primary/);
  // A relay naming the packager gets its bind address, rtmp://0.0.0.0:1945.
  const byName = sourceText.replace('primary: rtmp://packager:1945', 'primary: packager');
  assert.notEqual(byName, sourceText);
  assert.throws(() => renderManifests(byName, 'x.yaml'), /relays\.0\.primary/);
  // An HTTP node without `url` would be announced at 127.0.0.1.
  const noUrl = sourceText.replace(/^ +url: http:\/\/shield-eu:8110\n/m, '');
  assert.notEqual(noUrl, sourceText);
  assert.throws(() => renderManifests(noUrl, 'x.yaml'), /regions\.0\.shields\.0\.url/);
  // And anything the topology loader refuses.
  assert.throws(
    () => renderManifests(sourceText.replace('shield: shield-eu', 'shield: nope'), 'x.yaml'),
    /nope/,
  );
});
