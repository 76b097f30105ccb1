import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BudgetIndex, storedBytes, type StoreBudget } from './budget-index.js';
import { decodeObject, encodeObject, readMeta, type DiskMeta } from './disk-format.js';
import { assertValidPath, pathProblem } from './paths.js';
import type { ObjectStore, StoredObject } from './types.js';

export interface DiskStoreOptions extends StoreBudget {
  /** Directory owned by this store; created when missing. */
  dir: string;
}

/** Files read concurrently while rebuilding the index at open. */
const OPEN_CONCURRENCY = 64;

/**
 * Objects as files under `dir`, with the same budgets and eviction order as the memory store.
 *
 * File names are a hash of the object path, never the path itself: no object name can escape the
 * directory or collide with the file system's own rules ("a" and "a/b" may both exist as objects),
 * and nothing is left to clean up in nested directories. The in-memory index (path -> file, in
 * store order) is rebuilt from the files' own metadata at open.
 *
 * Writes go to tmp/ and are renamed into objects/, so a reader sees the old object or the new one,
 * never half of either. No fsync: the origin is a live cache of what the packager regenerates, so
 * power-loss durability is not worth a disk flush per segment; a torn file is dropped at open.
 */
export class DiskStore implements ObjectStore {
  readonly #objectsDir: string;
  readonly #tmpDir: string;
  readonly #index: BudgetIndex<string>;
  /**
   * Index changes and the renames/unlinks that go with them run one at a time, so the index never
   * disagrees with the directory (a rename finishing after a later delete would resurrect a file).
   * The expensive part, writing the tmp file, runs outside this queue.
   */
  #queue: Promise<unknown> = Promise.resolve();
  #tmpSeq = 0;
  readonly #tmpTag = randomBytes(4).toString('hex');

  private constructor(dir: string, budget: StoreBudget) {
    const root = resolve(dir);
    this.#objectsDir = join(root, 'objects');
    this.#tmpDir = join(root, 'tmp');
    this.#index = new BudgetIndex(budget);
  }

  /** Create the directories, drop leftovers of interrupted writes, and rebuild the index. */
  static async open(opts: DiskStoreOptions): Promise<DiskStore> {
    const store = new DiskStore(opts.dir, opts);
    await mkdir(store.#objectsDir, { recursive: true });
    await rm(store.#tmpDir, { recursive: true, force: true });
    await mkdir(store.#tmpDir, { recursive: true });
    await store.#rebuild();
    return store;
  }

  async put(path: string, obj: StoredObject): Promise<void> {
    assertValidPath(path);
    this.#index.assertFits(path, storedBytes(obj));
    const tmp = join(this.#tmpDir, `${this.#tmpTag}-${++this.#tmpSeq}`);
    await writeFile(tmp, encodeObject(path, obj));
    await this.#serial(async () => {
      const file = fileNameFor(path);
      try {
        await rename(tmp, join(this.#objectsDir, file));
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw e;
      }
      const displaced = this.#index.set(path, file, storedBytes(obj));
      // The replaced version of this same path shares the file name we just renamed onto.
      await this.#unlinkAll(displaced.filter(([p]) => p !== path).map(([, f]) => f));
    });
  }

  async get(path: string): Promise<StoredObject | undefined> {
    const file = this.#index.get(path);
    if (file === undefined) return undefined;
    let data: Buffer;
    try {
      data = await readFile(join(this.#objectsDir, file));
    } catch (e) {
      // Evicted or deleted between the index lookup and the read: simply gone.
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const decoded = decodeObject(data);
    return decoded !== undefined && decoded.meta.path === path ? decoded.obj : undefined;
  }

  delete(path: string): Promise<boolean> {
    return this.#serial(async () => {
      const file = this.#index.delete(path);
      if (file === undefined) return false;
      await this.#unlinkAll([file]);
      return true;
    });
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.#serial(async () => {
      const removed = this.#index.deletePrefix(prefix);
      await this.#unlinkAll(removed.map(([, f]) => f));
      return removed.length;
    });
  }

  async list(prefix: string): Promise<string[]> {
    return this.#index.list(prefix);
  }

  stats(): { objects: number; bytes: number } {
    return { objects: this.#index.size, bytes: this.#index.bytes };
  }

  /** Wait for pending index changes; files stay on disk for the next open. */
  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #unlinkAll(files: string[]): Promise<void> {
    await Promise.all(
      files.map((f) =>
        unlink(join(this.#objectsDir, f)).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        }),
      ),
    );
  }

  async #rebuild(): Promise<void> {
    const names = (await readdir(this.#objectsDir)).filter((n) => n.endsWith('.obj'));
    const found: Array<{ file: string; meta: DiskMeta; bodyBytes: number }> = [];
    const junk: string[] = [];
    for (let i = 0; i < names.length; i += OPEN_CONCURRENCY) {
      const batch = names.slice(i, i + OPEN_CONCURRENCY);
      await Promise.all(
        batch.map(async (file) => {
          const info = await readHeader(join(this.#objectsDir, file));
          // A file whose name does not match its own path was not written by us: ignore it.
          if (
            info === undefined ||
            pathProblem(info.meta.path) !== undefined ||
            fileNameFor(info.meta.path) !== file
          ) {
            junk.push(file);
          } else {
            found.push({ file, ...info });
          }
        }),
      );
    }
    // Re-create the store order from the recorded store times.
    found.sort((a, b) => a.meta.storedAt - b.meta.storedAt);
    for (const f of found) {
      if (f.bodyBytes > Number.MAX_SAFE_INTEGER || f.bodyBytes < 0) continue;
      try {
        const displaced = this.#index.set(f.meta.path, f.file, f.bodyBytes);
        junk.push(...displaced.map(([, file]) => file));
      } catch {
        junk.push(f.file); // larger than a (now smaller) byte budget
      }
    }
    junk.push(...this.#index.enforce().map(([, file]) => file));
    await this.#unlinkAll(junk);
  }
}

function fileNameFor(path: string): string {
  return `${createHash('sha256').update(path, 'utf8').digest('hex')}.obj`;
}

async function readHeader(file: string): Promise<{ meta: DiskMeta; bodyBytes: number } | undefined> {
  const fh = await open(file, 'r');
  try {
    return await readMeta(fh);
  } finally {
    await fh.close();
  }
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}
