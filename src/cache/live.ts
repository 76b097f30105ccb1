import type { IncomingHttpHeaders } from 'node:http';
import type { Entry } from './entry.js';
import type { Waiter } from './flight.js';

export interface LiveOptions {
  maxAhead: number;
  holdFactor: number;
  onHoldOutcome: (outcome: 'appeared' | 'timeout') => void;
  refresh: (playlistUrl: string) => void;
}

/** Live-aware rules (issue 3 section 5). */
export class LiveRules {
  readonly #opts: LiveOptions;
  constructor(opts: LiveOptions) {
    this.#opts = opts;
  }
  isPlaylist(url: string, headers: IncomingHttpHeaders): boolean {
    void url;
    void headers;
    return false;
  }
  acceptPlaylist(_url: string, e: Entry, _current: Entry | undefined): Entry {
    return e;
  }
  maybeHold(_url: string, _w: Waiter, _cb: (held: { w: Waiter; appeared: boolean }) => void): boolean {
    void this.#opts;
    return false;
  }
  close(): void {}
}
