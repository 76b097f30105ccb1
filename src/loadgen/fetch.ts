import http from 'node:http';

export interface Target {
  host: string;
  port: number;
}

export interface FetchResult {
  /** 0 when no response arrived. */
  status: number;
  bytes: number;
  /** From the request being handed a socket to the last body byte. */
  ms: number;
  /** Waiting for a free pooled socket before that. */
  queueMs: number;
  text?: string;
  xCache?: string;
  error?: string;
}

/**
 * Past this much silence on a socket a request has failed: longer than any blocking reload may
 * be held (three target durations) for the segment lengths corral uses.
 */
export const IDLE_TIMEOUT_MS = 15_000;

/** The worker's socket pool: keep-alive, at most `sockets` open, one idle timeout for all. */
export function newAgent(sockets: number): http.Agent {
  return new http.Agent({
    keepAlive: true,
    maxSockets: sockets,
    maxTotalSockets: sockets,
    maxFreeSockets: sockets,
    timeout: IDLE_TIMEOUT_MS,
  });
}

/**
 * One GET over the worker's pooled keep-alive agent. Media bodies are counted and dropped as they
 * arrive, so a viewer never holds a segment in memory; playlists are kept as text. A request that
 * fails with a reset on a reused keep-alive socket is sent once more on a fresh one, as browsers
 * do: the server may close an idle connection just as a request goes out on it.
 */
export async function httpGet(
  agent: http.Agent,
  target: Target,
  path: string,
  keepText: boolean,
): Promise<FetchResult> {
  const first = await getOnce(agent, target, path, keepText);
  if (!first.retriable) return first.result;
  return (await getOnce(agent, target, path, keepText)).result;
}

const RESETS = new Set(['ECONNRESET', 'EPIPE']);

function getOnce(
  agent: http.Agent,
  target: Target,
  path: string,
  keepText: boolean,
): Promise<{ result: FetchResult; retriable: boolean }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let tSocket = t0;
    let bytes = 0;
    let text = '';
    let done = false;
    let responded = false;
    const finish = (status: number, error?: string, xCache?: string) => {
      if (done) return;
      done = true;
      const r: FetchResult = { status, bytes, ms: performance.now() - tSocket, queueMs: tSocket - t0 };
      if (keepText && error === undefined) r.text = text;
      if (xCache !== undefined) r.xCache = xCache;
      if (error !== undefined) r.error = error;
      const retriable = !responded && error !== undefined && RESETS.has(error) && req.reusedSocket;
      resolve({ result: r, retriable });
    };
    const req = http.request({ agent, host: target.host, port: target.port, path, method: 'GET' }, (res) => {
      responded = true;
      const status = res.statusCode ?? 0;
      const xc = res.headers['x-cache'];
      const xCache = typeof xc === 'string' ? xc : undefined;
      if (keepText) res.setEncoding('utf8');
      res.on('data', (c: Buffer | string) => {
        bytes += c.length;
        if (keepText) text += c as string;
      });
      res.on('end', () => finish(status, undefined, xCache));
      res.on('error', (e: NodeJS.ErrnoException) => finish(status, e.code ?? 'ERESPONSE', xCache));
      res.on('aborted', () => finish(status, 'ECONNRESET', xCache));
    });
    req.on('socket', () => {
      tSocket = performance.now();
    });
    // The agent's socket idle timeout (see newAgent) rather than a timer per request.
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => finish(0, e.code ?? 'EREQUEST'));
    req.end();
  });
}
