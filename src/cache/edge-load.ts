import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from '../util/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { LoadGovernor, type DegradeStep, type LoadLimits, type LoadSample } from './degrade.js';
import type { CacheMetrics } from './metrics.js';
import { LAG_RESOLUTION_MS } from '../metrics/registry.js';

const SAMPLE_MS = 1000;

/**
 * The node's own load, measured once a second (bytes written to viewers, open connections,
 * event-loop delay p99) and fed to a LoadGovernor, whose step the answerer applies. The step and
 * the load ratio are gauges; every step change is a warn log line with the figures.
 */
export class EdgeLoad {
  readonly governor: LoadGovernor;
  readonly #clock: Clock;
  readonly #connections: () => Promise<number>;
  readonly #lag: IntervalHistogram | undefined;
  readonly #metrics: CacheMetrics;
  readonly #tier: string;
  #bytes = 0;
  #lastAt: number;
  #timer: TimerHandle | undefined;
  #last: LoadSample = { egressMbps: 0, connections: 0, loopLagMs: 0 };

  constructor(opts: {
    limits: LoadLimits;
    clock: Clock;
    tier: string;
    log: Logger;
    metrics: CacheMetrics;
    connections: () => Promise<number>;
  }) {
    this.#clock = opts.clock;
    this.#tier = opts.tier;
    this.#connections = opts.connections;
    this.#metrics = opts.metrics;
    this.governor = new LoadGovernor(opts.limits, opts.clock, (c) =>
      opts.log.warn(
        {
          tier: opts.tier,
          from: c.from,
          to: c.to,
          limit: c.limit,
          ratio: Math.round(c.ratio * 100) / 100,
          load: c.sample,
        },
        c.to > c.from ? 'load past a limit: degrading one step' : 'load fell: undoing one degradation step',
      ),
    );
    this.#lastAt = opts.clock.monotonic();
    if (!this.governor.enabled) return;
    this.#lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  }

  get step(): DegradeStep {
    return this.governor.step;
  }

  get last(): LoadSample {
    return this.#last;
  }

  /** Bytes written to a viewer (counted when the response completes). */
  sent(bytes: number): void {
    this.#bytes += bytes;
  }

  start(): void {
    if (!this.governor.enabled || this.#timer !== undefined) return;
    this.#lag?.enable();
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => void this.#tick(), SAMPLE_MS, true);
  }

  async #tick(): Promise<void> {
    const now = this.#clock.monotonic();
    const seconds = Math.max(0.001, (now - this.#lastAt) / 1000);
    const egressMbps = (this.#bytes * 8) / 1e6 / seconds;
    this.#bytes = 0;
    this.#lastAt = now;
    const loopLagMs = this.#lag === undefined ? 0 : this.#lag.percentile(99) / 1e6;
    this.#lag?.reset();
    const connections = await this.#connections().catch(() => this.#last.connections);
    if (this.#timer === undefined) return; // stopped while counting
    this.#last = { egressMbps, connections, loopLagMs };
    this.governor.sample(this.#last);
    this.#metrics.degradeStep.set({ tier: this.#tier }, this.governor.step);
    this.#metrics.loadRatio.set({ tier: this.#tier }, this.governor.ratio);
    this.#schedule();
  }

  stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lag?.disable();
  }
}
