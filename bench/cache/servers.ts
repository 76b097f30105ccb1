/**
 * The processes a cache benchmark runs: the counting origin, corral's node, nginx and Varnish.
 * Each runs in the foreground as our child with its own temporary config on a loopback port and
 * is stopped at the end; nothing is daemonised, nothing outside a temp dir is written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/net.js';
import { descendantsOf, rssBytes } from '../lib/procfs.js';

export interface Proc {
  name: string;
  url: string;
  /** Every pid of the server (master and workers), for memory readings. */
  pids(): number[];
  /** Collect garbage before a memory reading (garbage-collected servers only). */
  settle?: () => Promise<void>;
  stop(): Promise<void>;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Resident memory of a process tree, bytes. */
export function rssOf(pids: number[]): number {
  return pids.reduce((total, pid) => total + (rssBytes(pid) || 0), 0); // 0: gone
}

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

function stopper(child: ChildProcess, dir?: string): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      const done = () => {
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
}

/** A node child that prints {"port":N} on its first stdout line. */
async function nodeChild(name: string, script: string, args: string[], nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) =>
      resolve((JSON.parse(l) as { port: number }).port),
    );
    child.once('exit', (c) => reject(new Error(`${name} exited ${c}`)));
  });
  const settle = async () => {
    child.kill('SIGUSR2'); // corral-node.ts runs gc() on it
    await new Promise((r) => setTimeout(r, 300));
  };
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pids: () => [child.pid!],
    settle,
    stop: stopper(child),
  } as Proc;
}

export function startOrigin(): Promise<Proc> {
  return nodeChild('origin', here('../../test/cache/origin.ts'), []);
}

export async function startCorral(upstream: string, workers = 1): Promise<Proc> {
  const name = workers > 1 ? `corral-w${workers}` : 'corral';
  const p = await nodeChild(name, here('./corral-node.ts'), [upstream, String(workers)], ['--expose-gc']);
  const pid = p.pids()[0]!;
  // A cluster primary's workers are its children: count their memory too.
  return { ...p, pids: () => [pid, ...descendantsOf(pid)] };
}

/** A bare node:http server that answers N parked requests at once (the waiter-lag floor). */
export function startFloor(): Promise<Proc> {
  return nodeChild('floor', here('./floor-server.ts'), []);
}

export async function startNginx(upstream: string): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-nginx-'));
  const port = await freePort();
  const up = new URL(upstream);
  const conf = `
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 20000;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 12000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=corral:50m max_size=1g inactive=10m use_temp_path=off;
  upstream origin { server ${up.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    keepalive_requests 100000;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache corral;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 10s;
      proxy_cache_lock_age 10s;
      add_header X-Cache "nginx $upstream_cache_status";
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
  await waitForPort(port);
  return {
    name: 'nginx',
    url: `http://127.0.0.1:${port}`,
    pids: () => [child.pid!, ...descendantsOf(child.pid!)],
    stop: stopper(child, dir),
  };
}

export async function startVarnish(upstream: string): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-varnish-'));
  const port = await freePort();
  const up = new URL(upstream);
  const child = spawn(
    '/usr/sbin/varnishd',
    [
      '-F',
      '-j',
      'none',
      '-n',
      dir,
      '-a',
      `127.0.0.1:${port}`,
      '-b',
      up.host,
      '-s',
      'malloc,1g',
      '-p',
      'listen_depth=4096',
      '-p',
      'thread_pool_min=200',
      '-p',
      'thread_pool_max=5000',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitForPort(port, 30_000);
  return {
    name: 'varnish',
    url: `http://127.0.0.1:${port}`,
    pids: () => [child.pid!, ...descendantsOf(child.pid!)],
    stop: stopper(child, dir),
  };
}
