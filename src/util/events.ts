import { EventEmitter } from 'node:events';

/**
 * A typed event emitter for lifecycle and observability events (the media path itself uses direct
 * calls). `M` maps event names to their payload type, as hls.js does with its event map.
 */
export class TypedEmitter<M extends Record<string, unknown>> {
  readonly #ee = new EventEmitter();

  constructor() {
    // Observability subscribers are few and known; a leak warning past 50 means a bug.
    this.#ee.setMaxListeners(50);
  }

  on<K extends keyof M & string>(event: K, fn: (payload: M[K]) => void): () => void {
    this.#ee.on(event, fn as (p: unknown) => void);
    return () => this.#ee.off(event, fn as (p: unknown) => void);
  }

  once<K extends keyof M & string>(event: K, fn: (payload: M[K]) => void): void {
    this.#ee.once(event, fn as (p: unknown) => void);
  }

  emit<K extends keyof M & string>(event: K, payload: M[K]): void {
    this.#ee.emit(event, payload);
  }
}
