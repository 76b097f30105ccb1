import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  blockingMaxAgeS,
  hasDirectives,
  holdLimitMs,
  parseDirectives,
  satisfies,
  tooFarAhead,
  type Target,
} from '../hls/directives.js';
import { computeEtag } from './etag.js';
import { HintIndex, type HintEntry } from './hint-index.js';
import { Hold, HoldRegistry, type HoldLimits, type Listener } from './holds.js';
import { sendText } from './http-util.js';
import type { BlockingResult } from './origin-metrics.js';
import { serveObject } from './serve-object.js';
import type { ObjectStore, PlaylistState, StoredObject } from './types.js';

/**
 * Bounds on held requests. Behind corral's cache tier the origin holds about one request per
 * playlist or hinted part per shield (the tiers coalesce), so these only bite when viewers hit the
 * origin directly or something misbehaves. Each held request keeps a socket (the open-files limit
 * here is 20000) and some 10-20 KB of memory; past a bound the request gets 503 + Retry-After
 * rather than a slot the machine cannot afford.
 */
export const DEFAULT_HOLD_LIMITS: HoldLimits = { perKey: 2048, total: 8192 };

export interface LiveServeOptions {
  store: ObjectStore;
  immutableMaxAgeS: number;
  notFoundMaxAgeS: number;
  count: (result: BlockingResult) => void;
  limits?: HoldLimits;
  /** ms since epoch; the origin's clock (a segment's lifetime counts from when it was stored). */
  now: () => number;
}

/** ETags of delta bodies, computed once per stored version rather than once per response. */
const deltaEtags = new WeakMap<Buffer, string>();

/**
 * The LL-HLS side of serving (draft-pantos-hls-rfc8216bis 6.2.5, 6.2.6): blocking playlist
 * reloads (_HLS_msn/_HLS_part), delta updates (_HLS_skip) and held requests for the preload-hinted
 * part. Puts reach it through onPut, which releases every satisfied held request at once.
 */
export class LiveServe {
  readonly #store: ObjectStore;
  readonly #immutableMaxAgeS: number;
  readonly #notFoundMaxAgeS: number;
  readonly #count: (result: BlockingResult) => void;
  readonly #now: () => number;
  readonly #holds: HoldRegistry;
  readonly #hints = new HintIndex();

  constructor(opts: LiveServeOptions) {
    this.#store = opts.store;
    this.#immutableMaxAgeS = opts.immutableMaxAgeS;
    this.#notFoundMaxAgeS = opts.notFoundMaxAgeS;
    this.#count = opts.count;
    this.#now = opts.now;
    this.#holds = new HoldRegistry(opts.limits ?? DEFAULT_HOLD_LIMITS);
  }

  /** Requests held now (the corral_origin_blocked_requests gauge). */
  get held(): number {
    return this.#holds.size;
  }

  /** Whether a GET/HEAD needs these rules: it carries delivery directives or names a hinted part. */
  wants(path: string, query: string): boolean {
    return hasDirectives(query) || this.#hints.get(path) !== undefined;
  }

  /** A new version of `path` is stored: re-index its hint, offer it to everyone holding on it. */
  onPut(path: string, obj: StoredObject): void {
    if (obj.kind === 'playlist') this.#hints.onPlaylist(path, obj.live);
    this.#holds.publish(path, obj);
  }

  /** `path` (or a "dir/" prefix) was removed: held requests on it learn it is gone. */
  onRemove(path: string): void {
    this.#hints.onRemove(path);
    if (path.endsWith('/')) this.#holds.publishRemovedPrefix(path);
    else this.#holds.publish(path, undefined);
  }

  /** Answer every held request now (503 / 404), so shutting down does not wait on them. */
  close(): void {
    this.#holds.expireAll();
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const head = req.method === 'HEAD';
    const directives = parseDirectives(query);
    const hint = this.#hints.get(path);
    const blocking = !('problem' in directives) && directives.msn !== undefined;
    // Opened before the store read, so a put landing during the read is seen (holds.ts).
    const hold = blocking || hint !== undefined ? this.#holds.open(path) : undefined;
    let obj: StoredObject | undefined;
    try {
      const read = await this.#store.get(path);
      obj = hold?.seen !== undefined ? hold.seen.v : read;
    } catch (e) {
      hold?.close();
      throw e;
    }
    if (hold !== undefined && !hold.open) return this.#unavailable(res, head, 'overload'); // shut down

    if (obj === undefined) {
      if (hint !== undefined) return this.#holdHinted(req, res, hold, hint);
      hold?.close();
      // As for any missing object: short-lived, so a cache does not hide it once it appears.
      const cc = `public, max-age=${this.#notFoundMaxAgeS}`;
      return sendText(res, 404, 'not found', { 'cache-control': cc }, head);
    }
    const live = obj.kind === 'playlist' ? obj.live : undefined;
    // Not a live LL-HLS playlist, or an ended one: directives are ignored (6.2.5.2 MUST for
    // EXT-X-ENDLIST) and the current version answers at once.
    if (live === undefined || live.ended) {
      hold?.close();
      if (live !== undefined && blocking) this.#count('satisfied');
      const skip = !('problem' in directives) && directives.skip;
      return this.#respond(req, res, obj, skip, blocking ? live : undefined);
    }
    if ('problem' in directives || directives.msn === undefined) {
      hold?.close();
      if (!('problem' in directives)) return this.#respond(req, res, obj, directives.skip, undefined);
      this.#count('bad_request');
      return badRequest(res, directives.problem, head);
    }
    const { skip } = directives;
    const target: Target = { msn: directives.msn, part: directives.part };
    if (satisfies(target, live)) {
      hold?.close();
      this.#count('satisfied');
      return this.#respond(req, res, obj, skip, live);
    }
    if (tooFarAhead(target, live)) {
      hold?.close();
      this.#count('bad_request');
      return badRequest(res, 'delivery directive too far ahead of the playlist', head);
    }
    if (hold === undefined) return this.#unavailable(res, head, 'overload');
    this.#park(res, hold, holdLimitMs(live.targetDurationS), {
      onVersion: (v) => {
        if (v === undefined) return this.#gone(res, head);
        const next = v.kind === 'playlist' ? v.live : undefined;
        if (next !== undefined && !next.ended && !satisfies(target, next)) return false;
        this.#count('satisfied');
        this.#respond(req, res, v, skip, next);
        return true;
      },
      onTimeout: () => this.#unavailable(res, head, 'timeout'),
    });
  }

  /** A request for the hinted part, which is not stored yet: wait for its put. */
  #holdHinted(req: IncomingMessage, res: ServerResponse, hold: Hold | undefined, hint: HintEntry): void {
    const head = req.method === 'HEAD';
    if (hold === undefined) return this.#unavailable(res, head, 'overload');
    this.#park(res, hold, holdLimitMs(hint.targetDurationS), {
      onVersion: (v) => {
        if (v === undefined) return this.#gone(res, head);
        this.#count('satisfied');
        serveObject(req, res, v, this.#immutableMaxAgeS, this.#now());
        return true;
      },
      onTimeout: () => {
        this.#count('timeout');
        // The hint was wrong or the packager stalled; no-store so no cache keeps the miss.
        sendText(res, 404, 'hinted part did not arrive', { 'cache-control': 'no-store' }, head);
      },
    });
  }

  /**
   * Wait on `hold` until `onVersion` answers, the deadline passes, or the client leaves. One
   * timer per held request (its deadline); releases come from puts, never from polling.
   */
  #park(
    res: ServerResponse,
    hold: Hold,
    limitMs: number,
    on: { onVersion: Listener; onTimeout: () => void },
  ): void {
    // The client may have left while we read the store: its 'close' has already fired.
    if (res.socket === null || res.socket.destroyed) {
      hold.close();
      this.#count('abandoned');
      return;
    }
    const onClose = () => {
      if (!hold.open) return;
      hold.close();
      clearTimeout(timer);
      this.#count('abandoned');
    };
    const timer = setTimeout(() => hold.expire(), limitMs);
    const listener: Listener = (v) => {
      if (!on.onVersion(v)) return false;
      clearTimeout(timer);
      res.off('close', onClose);
      return true;
    };
    hold.listen(listener, () => {
      clearTimeout(timer);
      res.off('close', onClose);
      on.onTimeout();
    });
    res.on('close', onClose);
  }

  /** Serve a playlist version: its delta when asked and present; blocking answers cache longer. */
  #respond(
    req: IncomingMessage,
    res: ServerResponse,
    obj: StoredObject,
    skip: boolean,
    blockingLive: PlaylistState | undefined,
  ): void {
    const view = skip && obj.delta !== undefined ? deltaView(obj, obj.delta) : obj;
    const cc = blockingLive === undefined ? undefined : `public, max-age=${blockingMaxAgeS(blockingLive)}`;
    serveObject(req, res, view, this.#immutableMaxAgeS, this.#now(), cc);
  }

  #unavailable(res: ServerResponse, head: boolean, result: 'timeout' | 'overload'): void {
    this.#count(result);
    const text = result === 'timeout' ? 'playlist not updated in time' : 'too many held requests';
    sendText(res, 503, text, { 'cache-control': 'no-store', 'retry-after': '1' }, head);
  }

  #gone(res: ServerResponse, head: boolean): true {
    this.#count('gone');
    sendText(res, 404, 'removed', { 'cache-control': 'no-store' }, head);
    return true;
  }
}

/** The delta update as an object of its own: same type and times, its own ETag. */
function deltaView(obj: StoredObject, delta: Buffer): StoredObject {
  let etag = deltaEtags.get(delta);
  if (etag === undefined) {
    etag = computeEtag(delta);
    deltaEtags.set(delta, etag);
  }
  return { ...obj, body: delta, etag };
}

function badRequest(res: ServerResponse, problem: string, head: boolean): void {
  sendText(res, 400, `bad request: ${problem}`, { 'cache-control': 'no-store' }, head);
}
