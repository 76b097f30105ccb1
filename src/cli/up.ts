import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadTopology } from '../topology/load.js';
import { nodesOf, type TopologyNode } from '../topology/nodes.js';
import type { Topology } from '../topology/schema.js';
import { CorralError } from '../util/errors.js';
import { parseArgs, type FlagSpec } from './args.js';
import { waitForSignal } from './config.js';
import { EXIT_WITH_STDIN } from './node.js';
import { Supervised } from './supervisor.js';

const BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));
/** A node gets this long to close its listeners and children after SIGTERM. */
const STOP_GRACE_MS = 5_000;

export const UP_FLAGS: Record<string, FlagSpec> = {
  topology: { help: 'topology file (YAML; docs/topology.md): every node runs here as its own process' },
};

/**
 * `corral up --topology FILE`: every node of the file as a child process on this machine
 * (`corral node ... --node NAME`), restarted when it dies, all stopped on SIGINT/SIGTERM.
 */
export async function runUpCli(argv: string[]): Promise<void> {
  const { flags, positional } = parseArgs(['up', ...argv]);
  for (const k of flags.keys())
    if (!(k in UP_FLAGS)) throw new CorralError('CONFIG_INVALID', `unknown flag --${k} (see --help)`);
  const given = flags.get('topology') ?? positional[0];
  if (!given) throw new CorralError('CONFIG_INVALID', 'up needs --topology FILE');
  const file = resolve(given);
  const t = loadTopology(file);
  const env = { ...process.env, ...pushTokenEnv(t) };
  const nodes = nodesOf(t);

  const children = nodes.map(
    (n) =>
      new Supervised(n.name, () => spawnNode(file, n.name, env), {
        exited: (name, code, signal, ms) =>
          console.error(`corral up: ${name} exited (${signal ?? `code ${code}`}); restarting in ${ms} ms`),
      }),
  );
  // Even an unexpected exit of this process takes the children with it.
  const killAll = () => children.forEach((c) => c.killNow());
  process.on('exit', killAll);
  try {
    for (const c of children) c.start();
    console.log(table(nodes));
    const stopped = waitForSignal();
    let stopping = false;
    void ready(nodes, () => stopping).then((ok) => {
      if (ok && !stopping) console.log('corral up: all nodes are listening');
    });
    await stopped;
    stopping = true;
    console.log('corral up: stopping');
    await Promise.all(children.map((c) => c.stop(STOP_GRACE_MS)));
  } finally {
    killAll();
    process.off('exit', killAll);
  }
}

function spawnNode(file: string, name: string, env: NodeJS.ProcessEnv) {
  const child = spawn(
    process.execPath,
    [BIN, 'node', '--topology', file, '--node', name, `--${EXIT_WITH_STDIN}`],
    {
      detached: true,
      // stdin stays open and unused: the child treats its end as "the supervisor died".
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    },
  );
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const)
    if (from) createInterface({ input: from }).on('line', (l) => to.write(`[${name}] ${l}\n`));
  return child;
}

/**
 * The origin and the packager must share a push token. Without one in the file or the
 * environment, one is made up for this run: nodes of one machine need no secret handed around.
 */
function pushTokenEnv(t: Topology): Record<string, string> {
  const named = [t.defaults, t.origin.set, t.packager?.set].some(
    (s) => s?.['origin.pushToken'] !== undefined,
  );
  if (named || process.env.CORRAL_ORIGIN__PUSH_TOKEN) return {};
  return { CORRAL_ORIGIN__PUSH_TOKEN: randomBytes(18).toString('base64url') };
}

function address(n: TopologyNode): string {
  const l = n.listens[0]!;
  const host = l.host.includes(':') ? `[${l.host}]` : l.host;
  if (n.kind === 'packager' || n.kind === 'relay') return `rtmp://${host}:${l.port}/live/NAME`;
  return `${n.url}/`;
}

function table(nodes: TopologyNode[]): string {
  const rows = nodes.map((n) => [n.name, n.kind, n.region ?? '-', address(n)]);
  const all = [['NODE', 'KIND', 'REGION', 'ADDRESS'], ...rows];
  const widths = [0, 1, 2].map((i) => Math.max(...all.map((r) => r[i]!.length)));
  const lines = all.map((r) => '  ' + r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  '));
  const director = nodes.find((n) => n.kind === 'director');
  const packager = nodes.find((n) => n.kind === 'packager');
  if (packager) lines.push('', `  publish:  ${address(packager)}`);
  if (director)
    lines.push(`  watch:    ${director.url}/  (the director sends each viewer to an edge of its region)`);
  return '\n' + lines.join('\n') + '\n';
}

/** Every port of every started node accepts connections (bounded: a node may be crash-looping). */
async function ready(nodes: TopologyNode[], stopping: () => boolean): Promise<boolean> {
  const end = Date.now() + 60_000;
  for (const n of nodes)
    for (const l of n.listens) {
      const host = l.host === '0.0.0.0' ? '127.0.0.1' : l.host === '::' ? '::1' : l.host;
      while (!(await connects(host, l.port))) {
        if (Date.now() > end || stopping()) return false;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  return true;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
