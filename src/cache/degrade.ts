import type { Clock } from '../util/clock.js';

/**
 * How far an edge bends under its own load (issue 11, graceful degradation), in order:
 * 0 normal; 1 new viewers get a multivariant playlist without the top rung(s); 2 also longer
 * playlist lifetimes and hold-back (a little more delay, fewer reloads); 3 also new sessions are
 * turned away with 503 + Retry-After. Viewers already watching keep getting playlists and
 * segments at every step.
 */
export type DegradeStep = 0 | 1 | 2 | 3;
export const MAX_STEP: DegradeStep = 3;

/** The edge's configured limits; 0 switches a limit off (all 0: never degrade). */
export interface LoadLimits {
  readonly egressMbps: number;
  readonly connections: number;
  readonly loopLagMs: number;
  /** Load stays past a limit this long before the next step is taken. */
  readonly escalateMs: number;
  /** Load stays below `relaxBelow` of every limit this long before a step is undone. */
  readonly relaxMs: number;
  readonly relaxBelow: number;
}

export interface LoadSample {
  egressMbps: number;
  connections: number;
  loopLagMs: number;
}

export interface StepChange {
  from: DegradeStep;
  to: DegradeStep;
  /** The highest load / limit ratio and the limit it belongs to, when the step changed. */
  ratio: number;
  limit: keyof LoadSample;
  sample: LoadSample;
}

/**
 * Turns one load sample a second into a degradation step, with hysteresis: one step up after
 * `escalateMs` past a limit (so the step before gets time to work), one step down after
 * `relaxMs` well below every limit. Time from the injected clock; the samples from the caller.
 */
export class LoadGovernor {
  readonly #limits: LoadLimits;
  readonly #clock: Clock;
  readonly #onChange: (c: StepChange) => void;
  #step: DegradeStep = 0;
  /** Monotonic ms since load has been over (or under) without a break; undefined: not now. */
  #overSince: number | undefined;
  #underSince: number | undefined;
  #lastChange = -Infinity;
  #ratio = 0;

  constructor(limits: LoadLimits, clock: Clock, onChange: (c: StepChange) => void) {
    this.#limits = limits;
    this.#clock = clock;
    this.#onChange = onChange;
  }

  get step(): DegradeStep {
    return this.#step;
  }

  /** Highest load / limit ratio of the last sample (1 = at a limit). */
  get ratio(): number {
    return this.#ratio;
  }

  get enabled(): boolean {
    const l = this.#limits;
    return l.egressMbps > 0 || l.connections > 0 || l.loopLagMs > 0;
  }

  sample(s: LoadSample): DegradeStep {
    const l = this.#limits;
    let ratio = 0;
    let limit: keyof LoadSample = 'connections';
    const consider = (name: keyof LoadSample, value: number, max: number) => {
      if (max > 0 && value / max > ratio) [ratio, limit] = [value / max, name];
    };
    consider('egressMbps', s.egressMbps, l.egressMbps);
    consider('connections', s.connections, l.connections);
    consider('loopLagMs', s.loopLagMs, l.loopLagMs);
    this.#ratio = ratio;
    const now = this.#clock.monotonic();
    const over = ratio >= 1;
    const under = ratio < l.relaxBelow;
    this.#overSince = over ? (this.#overSince ?? now) : undefined;
    this.#underSince = under ? (this.#underSince ?? now) : undefined;
    const since = (t: number | undefined) => (t === undefined ? 0 : now - Math.max(t, this.#lastChange));
    let to = this.#step;
    if (over && this.#step < MAX_STEP && since(this.#overSince) >= l.escalateMs)
      to = (this.#step + 1) as DegradeStep;
    else if (under && this.#step > 0 && since(this.#underSince) >= l.relaxMs)
      to = (this.#step - 1) as DegradeStep;
    if (to !== this.#step) {
      const from = this.#step;
      this.#step = to;
      this.#lastChange = now;
      this.#onChange({ from, to, ratio, limit, sample: s });
    }
    return this.#step;
  }
}
