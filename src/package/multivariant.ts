import type { PushObject } from '../origin/types.js';
import { renderMultivariantPlaylist, type VariantEntry } from './playlist.js';

/**
 * The stream's multivariant playlist as last pushed. Bit rates are re-measured every segment, but
 * a new version goes out only when the variants change or a rate moves by > 10 %, since players
 * read this playlist once and caches should not churn on noise. So the last version is kept:
 * an origin that lost it would otherwise wait for the next such move (see the republish).
 */
export class MultivariantState {
  readonly #path: string;
  #text = '';
  #current: PushObject | undefined;

  /** `streamPath`: "live/demo". */
  constructor(streamPath: string) {
    this.#path = `${streamPath}/index.m3u8`;
  }

  get current(): PushObject | undefined {
    return this.#current;
  }

  /** The version to push for these variants, or undefined when the last one still stands. */
  update(variants: VariantEntry[]): PushObject | undefined {
    if (variants.length === 0) return undefined;
    const text = renderMultivariantPlaylist(variants);
    if (text === this.#text) return undefined;
    if (this.#text && !movedEnough(this.#text, text)) return undefined;
    this.#text = text;
    this.#current = {
      path: this.#path,
      kind: 'multivariant',
      contentType: 'application/vnd.apple.mpegurl',
      body: Buffer.from(text),
      maxAgeS: 1,
    };
    return this.#current;
  }
}

function movedEnough(prev: string, next: string): boolean {
  const bw = (s: string) => [...s.matchAll(/[:,]BANDWIDTH=(\d+)/g)].map((m) => Number(m[1]));
  const a = bw(prev);
  const b = bw(next);
  if (a.length !== b.length) return true;
  if (prev.replace(/BANDWIDTH=\d+/g, '') !== next.replace(/BANDWIDTH=\d+/g, '')) return true;
  return a.some((x, i) => Math.abs(x - b[i]!) > x * 0.1);
}
