import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/**
 * Several "hosts" for a multi-node test. With root and `ip netns`, each host is a network
 * namespace this harness creates, with one veth link to a bridge it also creates (addresses in
 * 10.213.N.0/24 that exist only on those links) and the test process on the bridge, so taking a
 * host down is its link going down. Without them, every host is 127.0.0.1 and "down" stops the
 * host's processes (SIGSTOP): the same test, less faithful (a stopped process still holds its
 * sockets open). Everything made here is removed by close(), also after a failure.
 */
export interface Hosts {
  readonly mode: 'netns' | 'loopback';
  addr(host: string): string;
  /** Start `cmd args` on `host` (inside its namespace); HERE: where the test runs. */
  spawn(host: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  down(host: string): void;
  up(host: string): void;
  close(): Promise<void>;
}

/** The test process's own host (the root namespace, on the bridge). */
export const HERE = 'here';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Root, `ip` present, and a namespace can be made: then the netns mode runs. */
export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0 || process.env.CORRAL_TEST_NO_NETNS === '1') return false;
  const probe = `corral-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    ip('link', 'add', `cpb${process.pid % 100_000}`, 'type', 'bridge');
    ip('link', 'del', `cpb${process.pid % 100_000}`);
    return true;
  } catch {
    return false;
  }
}

class ProcessSet {
  readonly byHost = new Map<string, ChildProcess[]>();

  add(host: string, p: ChildProcess): void {
    this.byHost.set(host, [...(this.byHost.get(host) ?? []), p]);
  }

  signal(host: string, sig: NodeJS.Signals): void {
    for (const p of this.byHost.get(host) ?? []) if (p.exitCode === null) p.kill(sig);
  }

  async stopAll(): Promise<void> {
    const all = [...this.byHost.values()].flat().filter((p) => p.exitCode === null && p.signalCode === null);
    for (const p of all) {
      p.kill('SIGCONT');
      p.kill('SIGTERM');
    }
    await Promise.all(
      all.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const t = setTimeout(() => p.kill('SIGKILL'), 5000);
            p.once('exit', () => (clearTimeout(t), resolve()));
          }),
      ),
    );
  }
}

class LoopbackHosts implements Hosts {
  readonly mode = 'loopback';
  readonly #procs = new ProcessSet();

  addr(): string {
    return '127.0.0.1';
  }

  spawn(host: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.#procs.add(host, p);
    return p;
  }

  down(host: string): void {
    this.#procs.signal(host, 'SIGSTOP');
  }

  up(host: string): void {
    this.#procs.signal(host, 'SIGCONT');
  }

  close(): Promise<void> {
    return this.#procs.stopAll();
  }
}

class NetnsHosts implements Hosts {
  readonly mode = 'netns';
  readonly #id = process.pid % 100_000;
  readonly #subnet = `10.213.${process.pid % 250}`;
  readonly #bridge = `c${this.#id}br`;
  readonly #hosts: string[];
  readonly #procs = new ProcessSet();

  constructor(hosts: string[]) {
    this.#hosts = hosts;
    ip('link', 'add', this.#bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.#subnet}.1/24`, 'dev', this.#bridge);
    ip('link', 'set', this.#bridge, 'up');
    hosts.forEach((h, i) => {
      const ns = this.#ns(h);
      ip('netns', 'add', ns);
      ip('link', 'add', this.#veth(i), 'type', 'veth', 'peer', 'name', `c${this.#id}p${i}`);
      ip('link', 'set', `c${this.#id}p${i}`, 'netns', ns);
      ip('link', 'set', this.#veth(i), 'master', this.#bridge);
      ip('link', 'set', this.#veth(i), 'up');
      ip('-n', ns, 'addr', 'add', `${this.addr(h)}/24`, 'dev', `c${this.#id}p${i}`);
      ip('-n', ns, 'link', 'set', `c${this.#id}p${i}`, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    });
  }

  #ns(host: string): string {
    return `corral-${this.#id}-${host}`;
  }

  #veth(i: number): string {
    return `c${this.#id}h${i}`;
  }

  #index(host: string): number {
    const i = this.#hosts.indexOf(host);
    if (i < 0) throw new Error(`unknown host ${host}`);
    return i;
  }

  addr(host: string): string {
    return `${this.#subnet}.${this.#index(host) + 2}`;
  }

  spawn(host: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    // `ip netns exec` enters the namespace and execs the command: the child's pid is the command's.
    const p =
      host === HERE
        ? spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
        : spawn('ip', ['netns', 'exec', this.#ns(host), cmd, ...args], {
            stdio: ['ignore', 'pipe', 'pipe'],
            env,
          });
    this.#procs.add(host, p);
    return p;
  }

  down(host: string): void {
    ip('link', 'set', this.#veth(this.#index(host)), 'down');
  }

  up(host: string): void {
    ip('link', 'set', this.#veth(this.#index(host)), 'up');
  }

  async close(): Promise<void> {
    await this.#procs.stopAll();
    for (const h of this.#hosts) {
      try {
        ip('netns', 'del', this.#ns(h)); // takes its end of the veth, and so the pair, with it
      } catch {
        // already gone
      }
    }
    try {
      ip('link', 'del', this.#bridge);
    } catch {
      // already gone
    }
  }
}

export function makeHosts(hosts: string[]): Hosts {
  if (!netnsAvailable()) return new LoopbackHosts();
  try {
    return new NetnsHosts(hosts);
  } catch (err) {
    // Half-built: remove what exists under our names, then fail loudly.
    for (const h of hosts) {
      try {
        ip('netns', 'del', `corral-${process.pid % 100_000}-${h}`);
      } catch {
        // not made
      }
    }
    try {
      ip('link', 'del', `c${process.pid % 100_000}br`);
    } catch {
      // not made
    }
    throw err;
  }
}
