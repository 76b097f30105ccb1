import { parentPort, workerData } from 'node:worker_threads';
import { LoadWorker, type WorkerSpec } from './load-worker.js';
import type { ToWorker } from './snapshot.js';

// The thread side of threads.ts: one LoadWorker per thread, driven by the main thread's messages.
const port = parentPort;
if (port === null) throw new Error('worker-entry runs only as a worker thread');
const worker = new LoadWorker(workerData as WorkerSpec, (m) => port.postMessage(m));
// Loading the sources takes a while in a new thread; the run starts its clock only after this.
port.postMessage({ type: 'ready' });
port.on('message', (m: ToWorker) => {
  if (m.type === 'start') worker.start(m.t0Wall);
  else {
    worker.stop();
    port.close();
  }
});
