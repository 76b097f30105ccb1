/** An edge as the director sees it. */
export interface EdgeView {
  name: string;
  region: string;
  url: string;
}

interface EdgeState extends EdgeView {
  /** Monotonic ms of the last good answer; undefined until the first. */
  lastOk: number | undefined;
  /** The last poll failed: a refused or broken edge is out at once, not after downAfterMs. */
  failing: boolean;
  /** Load the edge reported (open connections). */
  load: number;
  /** Viewers sent since that report: they are not in it yet, and a burst must still spread. */
  sent: number;
}

export interface Choice {
  edge: EdgeView;
  /** No healthy edge in the viewer's region: one elsewhere beats no picture at all. */
  outOfRegion: boolean;
}

/**
 * Health and load of every edge, and the choice of one for a viewer: the healthy edge of the
 * region with the least reported load plus viewers sent since. Pure and clocked from outside, so
 * tests drive it without sockets.
 */
export class EdgePool {
  readonly #edges: EdgeState[];
  readonly #downAfterMs: number;
  readonly #now: () => number;

  constructor(edges: readonly EdgeView[], downAfterMs: number, now: () => number) {
    this.#edges = edges.map((e) => ({ ...e, lastOk: undefined, failing: false, load: 0, sent: 0 }));
    this.#downAfterMs = downAfterMs;
    this.#now = now;
  }

  get edges(): readonly EdgeView[] {
    return this.#edges;
  }

  /** One poll's outcome: a load figure when the edge answered, undefined when it did not. */
  report(name: string, load: number | undefined): void {
    const e = this.#edges.find((x) => x.name === name);
    if (e === undefined) return;
    if (load === undefined) {
      e.failing = true;
      return;
    }
    e.failing = false;
    e.lastOk = this.#now();
    e.load = load;
    e.sent = 0;
  }

  healthy(e: EdgeView): boolean {
    const s = e as EdgeState;
    return !s.failing && s.lastOk !== undefined && this.#now() - s.lastOk <= this.#downAfterMs;
  }

  choose(region: string): Choice | undefined {
    const up = this.#edges.filter((e) => this.healthy(e));
    const local = up.filter((e) => e.region === region);
    const pool = local.length > 0 ? local : up;
    let best: EdgeState | undefined;
    for (const e of pool) if (best === undefined || e.load + e.sent < best.load + best.sent) best = e;
    if (best === undefined) return undefined;
    best.sent++;
    return { edge: best, outOfRegion: local.length === 0 };
  }

  status(): { name: string; region: string; url: string; healthy: boolean; load: number; sent: number }[] {
    return this.#edges.map((e) => ({
      name: e.name,
      region: e.region,
      url: e.url,
      healthy: this.healthy(e),
      load: e.load,
      sent: e.sent,
    }));
  }
}
