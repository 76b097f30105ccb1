import type { OriginConfig } from '../config/schema.js';
import { DiskStore } from './disk-store.js';
import { MemoryStore } from './memory-store.js';
import type { ObjectStore } from './types.js';

export type { ObjectKind, ObjectStore, OriginPush, PushObject, StoredObject } from './types.js';
export type { StoreBudget } from './budget-index.js';
export { MemoryStore } from './memory-store.js';
export { DiskStore, type DiskStoreOptions } from './disk-store.js';
export { Origin, type OriginOptions } from './origin.js';
export { HttpPush, type HttpPushOptions } from './http-push.js';
export { computeEtag } from './etag.js';
export { cacheControlFor, PLAYLIST_MAX_AGE_CAP_S } from './serve-object.js';
export { assertValidPath, parseRequestPath } from './paths.js';
export type { StreamEntry } from './streams-index.js';

/** The store the configuration asks for: memory (default) or disk under config.dir. */
export async function createStore(config: OriginConfig): Promise<ObjectStore> {
  const budget = { maxBytes: config.maxBytes, maxObjects: config.maxObjects };
  if (config.store === 'disk') return DiskStore.open({ dir: config.dir, ...budget });
  return new MemoryStore(budget);
}
