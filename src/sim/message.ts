import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * An upstream answer as a cache Flight reads it (statusCode, headers, 'data'/'end' events,
 * complete, destroy, resume), delivered on virtual time: the link emits the body when the
 * simulated transfer ends, never on the Node.js event loop. Stands in for http.IncomingMessage.
 */
export class VirtualResponse extends EventEmitter {
  statusCode: number;
  headers: IncomingHttpHeaders;
  complete = false;
  destroyed = false;

  constructor(status: number, headers: IncomingHttpHeaders) {
    super();
    this.statusCode = status;
    this.headers = headers;
  }

  /** The body arrived in full (one chunk: the simulation does not model packets). */
  finish(body: Buffer): void {
    if (this.destroyed) return;
    if (body.length > 0) this.emit('data', body);
    this.complete = true;
    this.emit('end');
    this.emit('close');
  }

  /** The transfer broke off. */
  fail(err: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('error', err);
    this.emit('close');
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.emit('close');
    return this;
  }

  resume(): this {
    return this;
  }

  asIncoming(): IncomingMessage {
    return this as unknown as IncomingMessage;
  }
}

/**
 * The response side of a simulated request as the cache core touches it: it listens for 'close'
 * (a viewer leaving) and checks `destroyed`. Simulated viewers never leave mid-request, so no
 * listener is ever called; they are only kept so `off` finds them.
 */
export class QuietResponse {
  destroyed = false;
  headersSent = false;
  #listeners: Array<() => void> = [];

  once(_event: string, fn: () => void): this {
    this.#listeners.push(fn);
    return this;
  }

  /** The run ended with the request still parked (CacheCore.close). */
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    for (const fn of this.#listeners.splice(0)) fn();
    return this;
  }

  off(_event: string, fn: () => void): this {
    const i = this.#listeners.indexOf(fn);
    if (i >= 0) this.#listeners.splice(i, 1);
    return this;
  }
}
