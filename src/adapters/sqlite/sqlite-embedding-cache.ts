/**
 * @module adapters/sqlite — the persistent `EmbeddingCache`: one SQLite file mapping a cache key
 * (`embeddingCacheKey`: model, revision, dims, content hash) to a float32 vector, bounded by entry
 * count and bytes with least-recently-used pruning on `close()`.
 *
 * A cache is disposable (toolkit `restoreCache` policy, CONVENTIONS.md §6): a corrupt or foreign
 * file is moved aside to `<name>.corrupt-<timestamp>` with a warning and a fresh cache is started;
 * a read or write that fails later is logged as a warning and counted as misses, never fatal.
 * Writes run in WAL-mode transactions, so a process killed mid-write leaves a sound file.
 */
import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { EmbeddingCache, Logger } from '../../core/ports.js';
import { isCorruptionError } from './is-corruption-error.js';

/** Value of `meta.format`: tells a codeidx cache from any other SQLite file. */
export const SQLITE_CACHE_FORMAT = 'codeidx-embedding-cache';

/**
 * Default bound on entries: 500,000 vectors ≈ 770 MB at 384 dims (1,536 bytes each, plus a 64-char key),
 * enough for the chunks of a few hundred mid-size repositories.
 */
export const DEFAULT_MAX_ENTRIES = 500_000;

/** Default bound on stored bytes (keys + vectors): 1 GiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;

/** Keys per `IN (...)` batch, well under SQLite's limit of 32,766 bound variables. */
const IN_CHUNK = 500;

/** Options of `SqliteEmbeddingCache`. */
export interface SqliteEmbeddingCacheOptions {
  /** Path of the cache file; created if missing (its folder must exist). */
  readonly path: string;
  /** Receives the warnings (file moved aside, failed read or write). */
  readonly logger: Logger;
  /** Most entries kept after `close()`; default `DEFAULT_MAX_ENTRIES`. */
  readonly maxEntries?: number;
  /** Most bytes (keys + vectors) kept after `close()`; default `DEFAULT_MAX_BYTES`. */
  readonly maxBytes?: number;
  /** Clock for the `.corrupt-<timestamp>` suffix (tests). */
  readonly now?: () => Date;
}

/** Result of a prune: how many entries were removed. */
export interface PruneResult {
  readonly removed: number;
}

function chunked<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(',');
}

/** Copies a blob into a fresh, aligned Float32Array. */
function blobToVector(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `EmbeddingCache` on one SQLite file. Recency is a logical clock (one tick per `getMany`/`putMany`
 * call) stored per entry, so least-recently-used pruning does not depend on wall-clock resolution.
 * Hits are touched in memory and written on `close()`.
 */
export class SqliteEmbeddingCache implements EmbeddingCache {
  readonly stats = { hits: 0, misses: 0 };
  /** Path of the cache file. */
  readonly path: string;
  private readonly logger: Logger;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private db: Database.Database | null;
  private clock: number;
  /** key → tick of its last hit, not yet written. */
  private readonly touched = new Map<string, number>();

  private constructor(db: Database.Database, options: SqliteEmbeddingCacheOptions) {
    this.db = db;
    this.path = options.path;
    this.logger = options.logger;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const row = db.prepare<[], { t: number | null }>('SELECT max(last_used) AS t FROM embeddings').get();
    this.clock = (row?.t ?? 0) + 1;
  }

  /**
   * Opens the cache at `options.path`, creating it if missing. A corrupt or foreign file is renamed
   * to `<path>.corrupt-<timestamp>` (with its -wal/-shm files) and a fresh cache is created.
   * @throws Error only if even a fresh file cannot be created (unwritable folder).
   */
  static open(options: SqliteEmbeddingCacheOptions): Promise<SqliteEmbeddingCache> {
    if (!Number.isInteger(options.maxEntries ?? 1) || (options.maxEntries ?? 1) < 0) {
      return Promise.reject(new RangeError(`maxEntries must be a non-negative integer, got ${options.maxEntries}`));
    }
    try {
      return Promise.resolve(new SqliteEmbeddingCache(openDatabase(options.path), options));
    } catch (error) {
      if (!isCorruptionError(error) && !(error instanceof NotACacheError)) return Promise.reject(toError(error));
      const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-');
      const aside = `${options.path}.corrupt-${stamp}`;
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(options.path + suffix)) renameSync(options.path + suffix, aside + suffix);
      }
      options.logger.warn(`embedding cache ${options.path} was unreadable; moved it to ${aside} and started a fresh cache`, {
        reason: describe(error),
      });
      try {
        return Promise.resolve(new SqliteEmbeddingCache(openDatabase(options.path), options));
      } catch (again) {
        return Promise.reject(toError(again));
      }
    }
  }

  /** Number of entries stored. */
  size(): number {
    return this.handle().prepare<[], { n: number }>('SELECT count(*) AS n FROM embeddings').get()?.n ?? 0;
  }

  getMany(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    const unique = [...new Set(keys)];
    if (unique.length === 0) return Promise.resolve(found);
    const tick = this.clock++;
    try {
      const db = this.handle();
      for (const part of chunked(unique)) {
        const rows = db
          .prepare<string[], { key: string; vector: Buffer }>(
            `SELECT key, vector FROM embeddings WHERE key IN (${placeholders(part.length)})`,
          )
          .all(...part);
        for (const row of rows) {
          found.set(row.key, blobToVector(row.vector));
          this.touched.set(row.key, tick);
        }
      }
    } catch (error) {
      this.logger.warn(`embedding cache read failed; treating ${unique.length} keys as misses`, {
        path: this.path,
        reason: describe(error),
      });
      found.clear();
    }
    this.stats.hits += found.size;
    this.stats.misses += unique.length - found.size;
    return Promise.resolve(found);
  }

  putMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const tick = this.clock++;
    try {
      const db = this.handle();
      const put = db.prepare(
        'INSERT INTO embeddings (key, vector, last_used) VALUES (?, ?, ?) ' +
          'ON CONFLICT (key) DO UPDATE SET vector = excluded.vector, last_used = excluded.last_used',
      );
      db.transaction(() => {
        for (const [key, vector] of entries) {
          put.run(key, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), tick);
          this.touched.delete(key);
        }
      })();
    } catch (error) {
      this.logger.warn(`embedding cache write failed; ${entries.length} vectors not cached`, {
        path: this.path,
        reason: describe(error),
      });
    }
    return Promise.resolve();
  }

  /**
   * Removes least-recently-used entries until at most `maxEntries` remain and keys + vectors fit
   * in `maxBytes`. Called by `close()`; public for maintenance commands and tests.
   */
  prune(): PruneResult {
    const db = this.handle();
    this.flushTouches(db);
    const totals = db
      .prepare<[], { n: number; bytes: number | null }>(
        'SELECT count(*) AS n, sum(length(vector) + length(key)) AS bytes FROM embeddings',
      )
      .get() ?? { n: 0, bytes: 0 };
    let keep = Math.min(totals.n, this.maxEntries);
    const bytes = totals.bytes ?? 0;
    if (bytes > this.maxBytes && totals.n > 0) {
      // Entries of one model have one size; the mean is exact then, and close enough across models.
      keep = Math.min(keep, Math.floor(this.maxBytes / (bytes / totals.n)));
    }
    const remove = totals.n - keep;
    if (remove <= 0) return { removed: 0 };
    db.transaction(() => {
      db.prepare(
        'DELETE FROM embeddings WHERE key IN (SELECT key FROM embeddings ORDER BY last_used ASC, key ASC LIMIT ?)',
      ).run(remove);
    })();
    return { removed: remove };
  }

  /** Writes recency of hits, prunes to the bounds, checkpoints the WAL and closes. Idempotent. */
  close(): Promise<void> {
    const db = this.db;
    if (!db) return Promise.resolve();
    try {
      const { removed } = this.prune();
      if (removed > 0) this.logger.debug('pruned embedding cache', { path: this.path, removed });
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      this.logger.warn('embedding cache could not be pruned on close', { path: this.path, reason: describe(error) });
    } finally {
      this.db = null;
      db.close();
    }
    return Promise.resolve();
  }

  private flushTouches(db: Database.Database): void {
    if (this.touched.size === 0) return;
    const touch = db.prepare('UPDATE embeddings SET last_used = max(last_used, ?) WHERE key = ?');
    db.transaction(() => {
      for (const [key, tick] of this.touched) touch.run(tick, key);
    })();
    this.touched.clear();
  }

  private handle(): Database.Database {
    if (!this.db) throw new Error(`embedding cache ${this.path} is closed`);
    return this.db;
  }
}

/** The file is a SQLite database, but not a codeidx embedding cache. */
class NotACacheError extends Error {}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Schema version of the cache file. 2: a rowid table on 8 KiB pages. Version 1 was a `WITHOUT ROWID`
 * table on 4 KiB pages, where a row of a 256-dim vector and its key (~1.1 KB) exceeds the largest
 * payload an index b-tree page keeps inline (~1,000 bytes at 4 KiB; SQLite file format, "B-tree
 * Pages", overflow thresholds), so each row spilled into an overflow page of its own: 984 MB of pages
 * for 230 MB of vectors (dbstat of a 209,876-entry cache), which the Actions cache then had to
 * download and upload on every run. A rowid table keeps rows of up to ~8 KB inline on 8 KiB pages.
 */
export const SQLITE_CACHE_SCHEMA_VERSION = 2;

/** Page size of new cache files, bytes (see `SQLITE_CACHE_SCHEMA_VERSION`). */
const PAGE_SIZE = 8192;

const CREATE_EMBEDDINGS = `
  CREATE TABLE embeddings (key TEXT NOT NULL UNIQUE, vector BLOB NOT NULL, last_used INTEGER NOT NULL);
  CREATE INDEX embeddings_last_used ON embeddings (last_used);
`;

/** Opens or creates the cache database; throws a corruption error or `NotACacheError` for a bad file. */
function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name);
    if (tables.length > 0) {
      const meta = tables.includes('meta')
        ? new Map(
            db
              .prepare<[], { key: string; value: string }>('SELECT key, value FROM meta')
              .all()
              .map((r) => [r.key, r.value]),
          )
        : new Map<string, string>();
      if (meta.get('format') !== SQLITE_CACHE_FORMAT || !tables.includes('embeddings')) {
        throw new NotACacheError(`${path} is a SQLite database but not a codeidx embedding cache`);
      }
      if (meta.get('schema_version') === '1') {
        try {
          migrateFromV1(db);
        } catch (error) {
          // The cache is disposable: a file that cannot be migrated (disk full, …) is moved aside.
          throw new NotACacheError(`${path} could not be migrated from cache schema 1: ${describe(error)}`);
        }
      }
    } else {
      // Must precede the first write (the WAL switch below writes the header).
      db.pragma(`page_size = ${PAGE_SIZE}`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    if (tables.length === 0) {
      db.transaction(() => {
        db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); ${CREATE_EMBEDDINGS}`);
        db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?), ('schema_version', ?)").run(
          SQLITE_CACHE_FORMAT,
          String(SQLITE_CACHE_SCHEMA_VERSION),
        );
      })();
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Rewrites a version-1 file (see `SQLITE_CACHE_SCHEMA_VERSION`) as version 2, keeping every entry,
 * then VACUUMs it onto 8 KiB pages (a page size change needs rollback-journal mode). One-off: about a
 * second per 100 MB of file.
 */
function migrateFromV1(db: Database.Database): void {
  db.pragma('journal_mode = DELETE');
  db.transaction(() => {
    db.exec(`
      ALTER TABLE embeddings RENAME TO embeddings_v1;
      DROP INDEX IF EXISTS embeddings_last_used;
      ${CREATE_EMBEDDINGS}
      INSERT INTO embeddings (key, vector, last_used) SELECT key, vector, last_used FROM embeddings_v1;
      DROP TABLE embeddings_v1;
    `);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SQLITE_CACHE_SCHEMA_VERSION));
  })();
  db.pragma(`page_size = ${PAGE_SIZE}`);
  db.exec('VACUUM');
}
