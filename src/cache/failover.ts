import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Clock } from '../util/clock.js';
import { CorralError } from '../util/errors.js';
import type { Fetcher, UpstreamHandle } from './upstream.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A per-upstream circuit breaker: after `threshold` consecutive failures the upstream is skipped
 * (requests go to the next upstream instead of waiting on a dead one) until `resetMs` have
 * passed; then one probe request goes through, and its outcome closes or re-opens.
 */
export class Breaker {
  readonly #threshold: number;
  readonly #resetMs: number;
  readonly #clock: Clock;
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;

  constructor(threshold: number, resetMs: number, clock: Clock) {
    this.#threshold = threshold;
    this.#resetMs = resetMs;
    this.#clock = clock;
  }

  get state(): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#probing || this.#clock.monotonic() - this.#openedAt >= this.#resetMs ? 'half-open' : 'open';
  }

  /** May a request go now? Taking the half-open probe slot is a side effect: call once per try. */
  acquire(): { probe: boolean } | undefined {
    if (this.#openedAt === undefined) return { probe: false };
    if (this.#probing || this.#clock.monotonic() - this.#openedAt < this.#resetMs) return undefined;
    this.#probing = true;
    return { probe: true };
  }

  /** Would acquire() let a request through (no side effect)? */
  get usable(): boolean {
    return this.state !== 'open' && !this.#probing;
  }

  success(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#probing = false;
  }

  failure(): void {
    this.#probing = false;
    this.#failures++;
    if (this.#failures >= this.#threshold) this.#openedAt = this.#clock.monotonic();
  }

  /** A probe that ended with no verdict (aborted): the next request may probe. */
  release(): void {
    this.#probing = false;
  }
}

/**
 * Answers of a tier that could not reach its own upstream: worth asking the fallback instead.
 * They do not count against the breaker: the tier answered, and one stuck object must not cut
 * a healthy upstream off for every other one. 500 and 503 are the origin's own answers (503 is
 * how it ends a blocking playlist reload) and are passed on.
 */
function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 504;
}

export interface FailoverUpstream {
  readonly name: string;
  readonly fetcher: Fetcher;
}

/**
 * The node's upstreams in order of preference (the configured upstream, then `fallbackUpstream`),
 * each behind a breaker: a request goes to the first one whose circuit lets it, and on a
 * connection error, timeout, 502 or 504 tries the next before giving up. Only errors with no
 * answer (refused, reset, timed out) count towards opening a circuit. What the flight sees
 * is one Fetcher, so coalescing, stale-if-error and the cache-blocking timeout are unchanged.
 */
export class FailoverFetcher implements Fetcher {
  readonly #ups: ReadonlyArray<FailoverUpstream & { breaker: Breaker }>;
  readonly #onChange: ((name: string, state: BreakerState) => void) | undefined;

  constructor(
    upstreams: readonly FailoverUpstream[],
    breaker: { failures: number; resetMs: number; clock: Clock },
    onChange?: (name: string, state: BreakerState) => void,
  ) {
    this.#ups = upstreams.map((u) => ({
      ...u,
      breaker: new Breaker(breaker.failures, breaker.resetMs, breaker.clock),
    }));
    this.#onChange = onChange;
  }

  /** Breaker states by upstream name (tests, metrics). */
  states(): Record<string, BreakerState> {
    return Object.fromEntries(this.#ups.map((u) => [u.name, u.breaker.state]));
  }

  #record(i: number, ok: boolean): void {
    const u = this.#ups[i]!;
    const before = u.breaker.state;
    if (ok) u.breaker.success();
    else u.breaker.failure();
    const after = u.breaker.state;
    if (after !== before) this.#onChange?.(u.name, after);
  }

  get(
    method: 'GET' | 'HEAD',
    path: string,
    headers: OutgoingHttpHeaders,
    onResponse: (res: IncomingMessage) => void,
    onError: (err: Error) => void,
  ): UpstreamHandle {
    let current: UpstreamHandle | undefined;
    let probeOf: number | undefined;
    let aborted = false;
    const laterUsable = (i: number) => this.#ups.some((u, j) => j > i && u.breaker.usable);
    const tryFrom = (start: number, lastErr: Error | undefined): void => {
      // With every circuit open there is nowhere better to go: the preferred upstream is tried
      // anyway, so a burst of resets under overload cannot turn a working tier into a wall of
      // 502s. A dead upstream refuses at once, and stale copies are served on the error.
      const allOpen = start === 0 && this.#ups.every((u) => !u.breaker.usable);
      for (let i = start; i < this.#ups.length; i++) {
        const slot = allOpen && i === 0 ? { probe: false } : this.#ups[i]!.breaker.acquire();
        if (slot === undefined) continue;
        probeOf = slot.probe ? i : undefined;
        current = this.#ups[i]!.fetcher.get(
          method,
          path,
          headers,
          (res) => {
            probeOf = undefined;
            const failed = isGatewayFailure(res.statusCode ?? 502);
            if (!failed) this.#record(i, true);
            if (failed && laterUsable(i)) {
              res.resume();
              return tryFrom(i + 1, new Error(`upstream ${this.#ups[i]!.name} answered ${res.statusCode}`));
            }
            onResponse(res);
          },
          (err) => {
            probeOf = undefined;
            this.#record(i, false);
            if (!aborted) tryFrom(i + 1, err);
          },
        );
        return;
      }
      const err =
        lastErr ??
        new CorralError('UPSTREAM_FAILED', 'every upstream circuit is open', { recoverable: true });
      // Never call back before get() has returned: callers keep the handle it returns.
      if (start === 0) queueMicrotask(() => aborted || onError(err));
      else onError(err);
    };
    tryFrom(0, undefined);
    return {
      abort: () => {
        aborted = true;
        if (probeOf !== undefined) this.#ups[probeOf]!.breaker.release();
        current?.abort();
      },
    };
  }
}
