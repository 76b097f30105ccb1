import type { IncomingHttpHeaders } from 'node:http';
import { SharedBody } from '../cache/body.js';
import type { SimClock } from './clock.js';
import type { Reply, SimServer } from './link.js';
import type { LiveSource, ObjectKind } from './source.js';

/** GETs the origin answered for one kind of object. */
export interface OriginCounts {
  total: number;
  byKind: Record<string, number>;
  /** GETs per rendition per segment number, whatever the answer (a 404 before it existed counts). */
  segments: Map<number, Map<number, number>>;
  /** 404 answers (objects asked for before they existed or after they went). */
  notFound: number;
  /** Most GETs one requester (its Via) made for one segment of one rendition. */
  perRequesterMax: number;
}

/**
 * The virtual origin: answers from the LiveSource at the virtual time a request reaches it, after
 * a fixed processing time, and counts every GET by kind and by segment.
 */
export class VirtualOrigin implements SimServer {
  readonly source: LiveSource;
  readonly #clock: SimClock;
  readonly #delayMs: number;
  readonly counts: OriginCounts = {
    total: 0,
    byKind: {},
    segments: new Map(),
    notFound: 0,
    perRequesterMax: 0,
  };
  readonly #byRequester = new Map<string, number>();
  /** GETs per simulated second. */
  readonly perSecond: number[];

  constructor(source: LiveSource, clock: SimClock, delayMs: number, seconds: number) {
    this.source = source;
    this.#clock = clock;
    this.#delayMs = delayMs;
    this.perSecond = new Array<number>(seconds).fill(0);
  }

  serve(path: string, headers: IncomingHttpHeaders, reply: (r: Reply) => void): void {
    this.#clock.setTimeout(() => {
      const a = this.source.answer(path, headers, this.#clock.now());
      this.#count(a.kind, a.status, a.rendition, a.seq);
      if (isSegment(a.kind, a.seq)) {
        // The requester is the last hop its Via names (the shield).
        const via = String(headers.via ?? '');
        const k = `${via.slice(via.lastIndexOf(',') + 1).trim()}|${a.rendition}|${a.seq}`;
        const n = (this.#byRequester.get(k) ?? 0) + 1;
        this.#byRequester.set(k, n);
        if (n > this.counts.perRequesterMax) this.counts.perRequesterMax = n;
      }
      reply({ status: a.status, headers: a.headers, body: SharedBody.of(a.body) });
    }, this.#delayMs);
  }

  #count(kind: ObjectKind, status: number, r: number, seq: number): void {
    const c = this.counts;
    c.total++;
    const s = Math.min(this.perSecond.length - 1, Math.floor(this.#clock.t / 1000));
    this.perSecond[s]!++;
    c.byKind[kind] = (c.byKind[kind] ?? 0) + 1;
    if (status === 404) c.notFound++;
    if (isSegment(kind, seq)) {
      let m = c.segments.get(r);
      if (m === undefined) c.segments.set(r, (m = new Map()));
      m.set(seq, (m.get(seq) ?? 0) + 1);
    }
  }
}

/** A media segment's path (found or not yet there), as opposed to a playlist of some sequence. */
function isSegment(kind: ObjectKind, seq: number): boolean {
  return kind === 'segment' || (kind === 'missing' && seq >= 0);
}
