import { BudgetIndex, storedBytes, type StoreBudget } from './budget-index.js';
import { assertValidPath } from './paths.js';
import type { ObjectStore, StoredObject } from './types.js';

/**
 * The default store: objects live in a bounded Map. Bodies (and playlist state and deltas) are kept
 * by reference (the packager hands over Buffers it no longer mutates), so a put costs no copy.
 */
export class MemoryStore implements ObjectStore {
  readonly #index: BudgetIndex<StoredObject>;

  constructor(opts: StoreBudget) {
    this.#index = new BudgetIndex(opts);
  }

  async put(path: string, obj: StoredObject): Promise<void> {
    assertValidPath(path);
    this.#index.set(path, obj, storedBytes(obj));
  }

  async get(path: string): Promise<StoredObject | undefined> {
    return this.#index.get(path);
  }

  async delete(path: string): Promise<boolean> {
    return this.#index.delete(path) !== undefined;
  }

  async deletePrefix(prefix: string): Promise<number> {
    return this.#index.deletePrefix(prefix).length;
  }

  async list(prefix: string): Promise<string[]> {
    return this.#index.list(prefix);
  }

  stats(): { objects: number; bytes: number } {
    return { objects: this.#index.size, bytes: this.#index.bytes };
  }

  async close(): Promise<void> {
    this.#index.deletePrefix('');
  }
}
