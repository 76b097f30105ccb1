/**
 * nginx as a live HLS edge in front of an HTTP origin, for the capacity bench: one worker process,
 * proxy_cache in memory-backed storage (a tmpfs when there is one) with proxy_cache_lock, the
 * origin's Cache-Control honoured (max-age, stale-while-revalidate, stale-if-error: nginx reads
 * them itself; proxy_cache_valid only applies to answers that carry none), stale copies refreshed
 * in the background, and a keep-alive upstream. Runs in the foreground as a child of `procs`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../lib/net.js';
import { descendantsOf } from '../lib/procfs.js';
import type { Child, Procs } from '../lib/procs.js';
import { until } from '../latency/util.js';

export interface NginxEdge {
  child: Child;
  url: string;
  dir: string;
  conf: string;
  /** Master and workers (the workers are the master's children). */
  pids(): number[];
  /** Stops nginx and removes its directory (config and cache). */
  stop(): Promise<void>;
}

export const NGINX = '/usr/sbin/nginx';

export function nginxConf(dir: string, port: number, upstreamHost: string, workers = 1): string {
  return `
daemon off;
master_process on;
worker_processes ${workers};
worker_rlimit_nofile 40000;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 20000; multi_accept on; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=live:16m max_size=512m inactive=2m use_temp_path=off;
  upstream origin {
    server ${upstreamHost};
    keepalive 32;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache live;
      # One upstream fetch per object; the rest wait for it (nginx 1.22 waiters poll every 500 ms).
      proxy_cache_lock on;
      # A live object that takes longer than a segment is useless: go to the origin after 1 s.
      proxy_cache_lock_timeout 1s;
      proxy_cache_lock_age 1s;
      # Lifetimes come from the origin's Cache-Control; these apply only to answers without one.
      proxy_cache_valid 200 1s;
      proxy_cache_valid 404 1s;
      # A stale playlist (within the origin's stale-while-revalidate) is served while one
      # background request refreshes it.
      proxy_cache_background_update on;
      proxy_cache_revalidate on;
      add_header X-Cache "nginx $upstream_cache_status";
    }
  }
}
`;
}

/** Starts nginx with one worker (by default) in front of `upstream`, on a port from the kernel. */
export async function startNginxEdge(procs: Procs, upstream: string, workers = 1): Promise<NginxEdge> {
  // The cache lives in memory when /dev/shm exists, as corral's store does.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'corral-bench-capacity-nginx-'));
  const port = await freePort();
  const conf = nginxConf(dir, port, new URL(upstream).host, workers);
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = procs.start('nginx', NGINX, ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  const url = `http://127.0.0.1:${port}`;
  await until(
    'nginx up',
    async () => {
      if (!procs.running(child)) throw new Error(`nginx exited:\n${child.tail.join('\n')}`);
      return (await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) })).status > 0 ? true : undefined;
    },
    15_000,
  );
  return {
    child,
    url,
    dir,
    conf,
    pids: () => [child.pid, ...descendantsOf(child.pid)],
    stop: async () => {
      await procs.stop(child, 'SIGTERM', 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
