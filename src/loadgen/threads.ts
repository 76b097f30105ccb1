import { Worker } from 'node:worker_threads';
import { LoadWorker, type WorkerSpec } from './load-worker.js';
import type { FromWorker, ToWorker } from './snapshot.js';

/** A running LoadWorker, on its own thread or inline on the caller's. */
export interface WorkerHandle {
  send(m: ToWorker): void;
  /** Ends the thread (no-op inline); call after its final report arrived. */
  terminate(): Promise<void>;
}

/**
 * Sources run as TypeScript through tsx (bin/corral, the tests) or compiled to JavaScript. A
 * worker thread does not inherit the parent's module hooks, so under TypeScript it registers tsx
 * itself before importing the entry.
 */
function workerSource(): { code: string; eval: true } | { url: URL; eval: false } {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(`./worker-entry.${ts ? 'ts' : 'js'}`, import.meta.url);
  if (!ts) return { url: entry, eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return { code, eval: true };
}

export function spawnWorker(
  spec: WorkerSpec,
  onMessage: (m: FromWorker) => void,
  onError: (e: Error) => void,
): WorkerHandle {
  const src = workerSource();
  const w = src.eval
    ? new Worker(src.code, { eval: true, workerData: spec })
    : new Worker(src.url, { workerData: spec });
  w.on('message', onMessage);
  w.on('error', onError);
  return {
    send: (m) => w.postMessage(m),
    terminate: async () => {
      await w.terminate();
    },
  };
}

/** The same worker on this thread: for tests and for `--threads 0`. */
export function inlineWorker(spec: WorkerSpec, onMessage: (m: FromWorker) => void): WorkerHandle {
  const lw = new LoadWorker(spec, onMessage);
  queueMicrotask(() => onMessage({ type: 'ready' }));
  return {
    send: (m) => (m.type === 'start' ? lw.start(m.t0Wall) : lw.stop()),
    terminate: () => Promise.resolve(),
  };
}
