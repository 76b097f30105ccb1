import type { SharedBody } from '../cache/body.js';
import type { Entry } from '../cache/entry.js';
import { mediaPlaylistInfo } from '../hls/summary.js';
import type { SimClock } from './clock.js';
import { lossDelayMs, transferMs, whenSettled, type LinkSpec } from './link.js';
import type { SimNode } from './node.js';
import type { Rng } from './rng.js';
import type { LiveSource } from './source.js';

/** RFC 8216 6.3.3: start no closer than three target durations to the end (as the load generator). */
const START_SEGMENTS_BACK = 3;

/** What a viewer needs from a media playlist. */
interface PlaylistView {
  first: number;
  newest: number;
  targetS: number;
}

/** Parsed once per playlist body: every cohort at a node shares the node's one entry. */
const views = new WeakMap<SharedBody, PlaylistView | null>();
function viewOf(e: Entry): PlaylistView | undefined {
  if (e.status !== 200) return undefined;
  let v = views.get(e.body);
  if (v === undefined) {
    const info = mediaPlaylistInfo(e.body.concat().toString('utf8'));
    v =
      info === undefined
        ? null
        : {
            first: info.mediaSequence,
            newest: info.mediaSequence + info.segments.length - 1,
            targetS: info.targetDurationS,
          };
    views.set(e.body, v);
  }
  return v ?? undefined;
}

/** Shared by every cohort of a run. */
export interface ViewerContext {
  clock: SimClock;
  source: LiveSource;
  link: LinkSpec;
  rng: Rng;
  /** Simulated ms when viewers stop. */
  endT: number;
  /** Viewer-weighted tallies. */
  tally: { segments: number; playlists: number; skipped: number; errors: number; started: number };
}

/**
 * A cohort: `weight` viewers who arrived in the same slot at the same edge for the same rendition.
 * They behave as one plain (non-LL) player, the load generator's (loadgen/plain.ts): multivariant
 * playlist, media playlist, init segment, then every segment in order from three before the live
 * edge, reloading the playlist one target duration after the last reload began (half that when it
 * brought nothing new). Each request is one waiter at the edge carrying the cohort's weight.
 */
export class Cohort {
  readonly #ctx: ViewerContext;
  readonly #edge: SimNode;
  readonly #r: number;
  readonly weight: number;
  #pl: PlaylistView | undefined;
  #loadedAt = 0;
  #changed = true;
  #next = 0;
  #init = false;
  #playing = false;

  constructor(ctx: ViewerContext, edge: SimNode, rendition: number, weight: number) {
    this.#ctx = ctx;
    this.#edge = edge;
    this.#r = rendition;
    this.weight = weight;
  }

  start(): void {
    this.#get(this.#ctx.source.multivariantPath, () => this.#reload());
  }

  #stopped(): boolean {
    return this.#ctx.clock.t >= this.#ctx.endT;
  }

  /** GET `path` from the edge; `done` runs when the whole answer reached the viewer. */
  #get(path: string, done: (e: Entry) => void): void {
    const { clock, link, rng } = this.#ctx;
    clock.setTimeout(() => {
      this.#edge.request(path, {}, this.weight, (e) => {
        const answeredAt = clock.now();
        whenSettled(e.body, () => {
          const size = e.body.length;
          const doneAt =
            Math.max(
              answeredAt + link.latencyMs + transferMs(size, link.bandwidthBps),
              clock.now() + link.latencyMs,
            ) + lossDelayMs(link, size, rng);
          clock.at(doneAt, () => done(e));
        });
      });
    }, link.latencyMs);
  }

  #reload(): void {
    if (this.#stopped()) return;
    this.#loadedAt = this.#ctx.clock.now();
    this.#ctx.tally.playlists += this.weight;
    this.#get(this.#ctx.source.playlistPath(this.#r), (e) => {
      const fresh = viewOf(e);
      if (fresh === undefined) {
        this.#ctx.tally.errors += this.weight;
        this.#changed = false;
      } else {
        const old = this.#pl;
        this.#changed = old === undefined || fresh.newest !== old.newest;
        if (old === undefined) this.#next = Math.max(fresh.first, fresh.newest + 1 - START_SEGMENTS_BACK);
        this.#pl = fresh;
      }
      this.#step();
    });
  }

  #step(): void {
    if (this.#stopped()) return;
    const pl = this.#pl;
    if (pl !== undefined) {
      if (this.#next < pl.first) {
        this.#ctx.tally.skipped += (pl.first - this.#next) * this.weight;
        this.#next = pl.first;
      }
      if (this.#next <= pl.newest) {
        if (!this.#init) {
          this.#init = true;
          return this.#get(`/live/${this.#ctx.source.spec.name}/r${this.#r}/init.mp4`, () => this.#step());
        }
        const seq = this.#next;
        return this.#get(`/live/${this.#ctx.source.spec.name}/r${this.#r}/seg-${seq}.m4s`, (e) => {
          if (e.status === 200) {
            this.#ctx.tally.segments += this.weight;
            if (!this.#playing) {
              this.#playing = true;
              this.#ctx.tally.started += this.weight;
            }
            this.#next = seq + 1;
            this.#step();
          } else {
            // Not there (yet): try again after the next reload, as a player would.
            this.#ctx.tally.errors += this.weight;
            this.#wait();
          }
        });
      }
    }
    this.#wait();
  }

  #wait(): void {
    if (this.#stopped()) return;
    const pl = this.#pl;
    const targetS = pl?.targetS ?? 1;
    const waitMs = (this.#changed ? targetS : targetS / 2) * 1000;
    this.#ctx.clock.at(this.#loadedAt + waitMs, () => this.#reload());
  }
}
