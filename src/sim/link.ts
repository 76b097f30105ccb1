import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { SharedBody } from '../cache/body.js';
import type { Fetcher, UpstreamHandle } from '../cache/upstream.js';
import type { SimClock } from './clock.js';
import { VirtualResponse } from './message.js';
import type { Rng } from './rng.js';

/** A virtual network path: one-way latency, a shared bandwidth, packet loss. */
export interface LinkSpec {
  latencyMs: number;
  /** Bits per second, shared by every transfer on the link (first come, first served). */
  bandwidthBps: number;
  /** Probability that a packet is lost; a transfer that loses one pays a retransmit timeout. */
  loss: number;
}

/** An answer from the far end: headers now, the body whole once `body` completes. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: SharedBody;
}

/** Anything a link can ask: a cache node's core, or the virtual origin. */
export interface SimServer {
  serve(path: string, headers: IncomingHttpHeaders, reply: (r: Reply) => void): void;
}

const PACKET_BYTES = 1448;
/** Linux's minimum retransmit timeout. */
const MIN_RTO_MS = 200;

/** The extra delay a transfer of `bytes` pays for loss: one retransmit timeout if any packet was lost. */
export function lossDelayMs(spec: LinkSpec, bytes: number, rng: Rng): number {
  if (spec.loss <= 0) return 0;
  const packets = Math.max(1, Math.ceil(bytes / PACKET_BYTES));
  const anyLost = 1 - Math.pow(1 - spec.loss, packets);
  return rng.next() < anyLost ? Math.max(MIN_RTO_MS, 4 * spec.latencyMs) : 0;
}

/** Time in ms to push `bytes` through `bps`. */
export function transferMs(bytes: number, bps: number): number {
  return (bytes * 8 * 1000) / bps;
}

/**
 * The Fetcher a cache core gets as its upstream: a request crosses the link (latency), the far
 * end answers (now or when its flight does), the headers come back one latency later, and the
 * body completes when both the far end has it whole and the link has carried it (queued behind
 * earlier transfers on the same link). Counts what it carried.
 */
export class Link implements Fetcher {
  readonly spec: LinkSpec;
  readonly #clock: SimClock;
  readonly #far: SimServer;
  readonly #rng: Rng;
  /** When the link finishes the transfers already on it. */
  #freeAt = 0;
  fetches = 0;
  bytes = 0;

  constructor(spec: LinkSpec, clock: SimClock, far: SimServer, rng: Rng) {
    this.spec = spec;
    this.#clock = clock;
    this.#far = far;
    this.#rng = rng;
  }

  get(
    _method: 'GET' | 'HEAD',
    path: string,
    headers: OutgoingHttpHeaders,
    onResponse: (res: IncomingMessage) => void,
    _onError: (err: Error) => void,
  ): UpstreamHandle {
    this.fetches++;
    let aborted = false;
    const lat = this.spec.latencyMs;
    this.#clock.setTimeout(() => {
      if (aborted) return;
      this.#far.serve(path, headers as IncomingHttpHeaders, (r) => {
        const msg = new VirtualResponse(r.status, r.headers);
        const headersAt = this.#clock.now() + lat;
        this.#clock.at(headersAt, () => {
          if (aborted) return;
          onResponse(msg.asIncoming());
          const arrive = () => {
            const size = r.body.length;
            const start = Math.max(this.#freeAt, headersAt);
            this.#freeAt = start + transferMs(size, this.spec.bandwidthBps);
            this.bytes += size;
            const endAt =
              Math.max(this.#freeAt, this.#clock.now() + lat) + lossDelayMs(this.spec, size, this.#rng);
            this.#clock.at(endAt, () => {
              if (aborted) return;
              if (r.body.error !== undefined) msg.fail(r.body.error);
              else msg.finish(r.body.concat());
            });
          };
          whenSettled(r.body, arrive);
        });
      });
    }, lat);
    return { abort: () => void (aborted = true) };
  }
}

/** Run `fn` once `body` is complete or failed (at once when it already is). */
export function whenSettled(body: SharedBody, fn: () => void): void {
  if (body.settled) return fn();
  const check = () => {
    if (!body.settled) return;
    body.unsubscribe(check);
    fn();
  };
  body.subscribe(check);
}
