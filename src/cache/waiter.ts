import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Entry } from './entry.js';

/** How a request was answered, for X-Cache and the metrics. */
export type CacheResult = 'HIT' | 'MISS' | 'COALESCED' | 'STALE' | 'REVALIDATED' | 'PASS' | 'HELD' | 'ERROR';

/** A client request waiting for (or leading) an upstream fetch. */
export interface Waiter {
  req: IncomingMessage;
  res: ServerResponse;
  /** Clock.monotonic() when the request arrived. */
  started: number;
  result: CacheResult;
  /** Another worker of this node fetching through us (multi-worker mode): not a viewer. */
  peer: boolean;
  /** A playback token given in the query: playlists served to this waiter pass it on (token.ts). */
  token?: string | undefined;
}

/** Called once per answer with the body bytes written (0 for HEAD/304). */
export type DoneFn = (w: Waiter, result: CacheResult, bytes: number) => void;

/** How waiters get their answers: the HTTP side of the node, kept out of the cache core. */
export interface Answerer {
  /** Serve an entry to one waiter and record the result. */
  deliver(w: Waiter, e: Entry, result: CacheResult): void;
  /** Give a waiter its own upstream request (the answer was not for sharing). */
  passThrough(w: Waiter): void;
  /** Stream a non-shared upstream answer straight to one waiter. */
  direct(w: Waiter, up: IncomingMessage): void;
}
