import type { FetchResult } from './fetch.js';
import { record } from './histogram.js';
import type { PlaylistReader } from './playlists.js';
import type { Scheduler } from './scheduler.js';
import type { Kind, Tally } from './tally.js';
import type { WirePool } from './wire.js';

/** What every viewer of one worker shares: the socket pool, the clock, the counters. */
export class WorkerContext {
  stopped = false;
  /** Objects whose edge result was MISS, counted per path: the edge's upstream fetches of media. */
  readonly edgeMisses = new Map<string, number>();
  /** Distinct media objects and blocking-reload versions asked for: what the origin may be asked at most once each. */
  readonly objects = new Set<string>();

  constructor(
    readonly pool: WirePool,
    readonly sched: Scheduler,
    readonly tally: Tally,
    readonly reader: PlaylistReader,
  ) {}

  async get(kind: Kind, path: string): Promise<FetchResult> {
    const keepText = kind === 'multivariant' || kind === 'playlist' || kind === 'blocking';
    const r = await this.pool.get(path, keepText);
    if (this.stopped) return r;
    const t = this.tally;
    t.requests[kind]++;
    t.bytes += r.bytes;
    record(t.queueMs, r.queueMs);
    const ok = r.status >= 200 && r.status < 300 && r.error === undefined;
    if (!ok && kind === 'hint' && r.status === 404) {
      t.hintsUnfulfilled++;
      return r;
    }
    if (!ok) {
      t.failed[kind]++;
      const key = r.status > 0 ? String(r.status) : (r.error ?? 'error');
      t.errors[key] = (t.errors[key] ?? 0) + 1;
      return r;
    }
    if (kind === 'segment') record(t.segmentMs, r.ms);
    else if (kind === 'part') record(t.partMs, r.ms);
    else if (kind === 'hint' || kind === 'blocking') record(t.blockingMs, r.ms);
    else if (kind === 'playlist') record(t.playlistMs, r.ms);
    if (kind === 'segment' || kind === 'part' || kind === 'hint') this.#edgeResult(path, r.xCache);
    if (kind !== 'playlist' && kind !== 'multivariant') this.objects.add(path);
    return r;
  }

  #edgeResult(path: string, xCache: string | undefined): void {
    // "edge MISS, shield HIT": the first entry is the tier that answered us.
    const first = xCache?.split(',', 1)[0]?.trim().split(' ')[1] ?? 'none';
    this.tally.edgeResults[first] = (this.tally.edgeResults[first] ?? 0) + 1;
    if (first === 'MISS') this.edgeMisses.set(path, (this.edgeMisses.get(path) ?? 0) + 1);
  }
}

export function ok(r: FetchResult): boolean {
  return r.status >= 200 && r.status < 300 && r.error === undefined;
}
