import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SQLITE_CACHE_FORMAT,
  SQLITE_CACHE_SCHEMA_VERSION,
  SqliteEmbeddingCache,
} from '../../../src/adapters/sqlite/sqlite-embedding-cache.js';
import { embeddingCacheKey } from '../../../src/core/identity.js';
import type { Logger } from '../../../src/core/ports.js';

const root = mkdtempSync(join(tmpdir(), 'codeidx-sqlite-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => {
  const dir = join(root, `case-${++counter}`);
  return mkdtempSync(`${dir}-`);
};

interface LogLine {
  level: string;
  message: string;
}

function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const space = { modelId: 'test/model', revision: 'r1', dims: 4 };
const key = (i: number): string => embeddingCacheKey(space, `content-${i}`);
const vec = (i: number): Float32Array => Float32Array.from([i, i + 0.5, -i, 1 / (i + 1)]);

describe('SqliteEmbeddingCache', () => {
  it('creates a missing file and round-trips vectors across reopen, counting hits and misses', async () => {
    const path = join(freshDir(), 'embeddings.db');
    expect(existsSync(path)).toBe(false);
    const logger = recordingLogger();
    const cache = await SqliteEmbeddingCache.open({ path, logger });
    expect(existsSync(path)).toBe(true);
    await cache.putMany([
      [key(1), vec(1)],
      [key(2), vec(2)],
    ]);
    const got = await cache.getMany([key(1), key(2), key(3), key(1)]);
    expect([...got.keys()].sort()).toEqual([key(1), key(2)].sort());
    expect(Array.from(got.get(key(2)) ?? [])).toEqual(Array.from(vec(2)));
    expect(cache.stats).toEqual({ hits: 2, misses: 1 });
    await cache.close();
    await cache.close(); // idempotent

    const again = await SqliteEmbeddingCache.open({ path, logger });
    const reread = await again.getMany([key(1)]);
    expect(Array.from(reread.get(key(1)) ?? [])).toEqual(Array.from(vec(1)));
    expect(again.stats).toEqual({ hits: 1, misses: 0 });
    // Overwrite a key.
    await again.putMany([[key(1), vec(9)]]);
    expect(Array.from((await again.getMany([key(1)])).get(key(1)) ?? [])).toEqual(Array.from(vec(9)));
    expect(again.size()).toBe(2);
    await again.close();
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('handles batches larger than one IN list', async () => {
    const cache = await SqliteEmbeddingCache.open({ path: join(freshDir(), 'c.db'), logger: recordingLogger() });
    const entries = Array.from({ length: 1_234 }, (_, i) => [key(i), vec(i)] as const);
    await cache.putMany(entries);
    const keys = Array.from({ length: 1_500 }, (_, i) => key(i));
    const got = await cache.getMany(keys);
    expect(got.size).toBe(1_234);
    expect(cache.stats).toEqual({ hits: 1_234, misses: 266 });
    expect(Array.from(got.get(key(1_000)) ?? [])).toEqual(Array.from(vec(1_000)));
    await cache.close();
  });

  it('prunes least recently used entries on close, keeping the recently read and written', async () => {
    const path = join(freshDir(), 'lru.db');
    const logger = recordingLogger();
    const cache = await SqliteEmbeddingCache.open({ path, logger, maxEntries: 3 });
    await cache.putMany([[key(1), vec(1)]]);
    await cache.putMany([[key(2), vec(2)]]);
    await cache.putMany([[key(3), vec(3)]]);
    await cache.getMany([key(1)]); // 1 is now more recent than 2 and 3
    await cache.putMany([[key(4), vec(4)]]);
    await cache.putMany([[key(5), vec(5)]]);
    await cache.close();

    const reopened = await SqliteEmbeddingCache.open({ path, logger, maxEntries: 3 });
    expect(reopened.size()).toBe(3);
    const got = await reopened.getMany([1, 2, 3, 4, 5].map(key));
    expect([...got.keys()].sort()).toEqual([key(1), key(4), key(5)].sort());
    await reopened.close();
  });

  it('prunes to a byte bound', async () => {
    const path = join(freshDir(), 'bytes.db');
    // One entry = 64-char key + 16-byte vector = 80 bytes; 250 bytes hold 3 entries.
    const cache = await SqliteEmbeddingCache.open({ path, logger: recordingLogger(), maxBytes: 250 });
    for (let i = 0; i < 6; i++) await cache.putMany([[key(i), vec(i)]]);
    expect(cache.prune()).toEqual({ removed: 3 });
    const got = await cache.getMany([0, 1, 2, 3, 4, 5].map(key));
    expect([...got.keys()].sort()).toEqual([key(3), key(4), key(5)].sort());
    await cache.close();
  });

  it('moves a corrupt file aside with a warning and starts fresh', async () => {
    const dir = freshDir();
    const path = join(dir, 'embeddings.db');
    const garbage = Buffer.from('this is not a sqlite database at all, just some bytes '.repeat(200));
    writeFileSync(path, garbage);
    const logger = recordingLogger();
    const now = () => new Date('2025-03-04T05:06:07.089Z');
    const cache = await SqliteEmbeddingCache.open({ path, logger, now });
    const aside = join(dir, 'embeddings.db.corrupt-2025-03-04T05-06-07-089Z');
    expect(readFileSync(aside).equals(garbage)).toBe(true);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain(aside);
    expect(cache.size()).toBe(0);
    await cache.putMany([[key(1), vec(1)]]);
    expect((await cache.getMany([key(1)])).size).toBe(1);
    await cache.close();
    expect(readdirSync(dir).sort()).toEqual(['embeddings.db', 'embeddings.db.corrupt-2025-03-04T05-06-07-089Z']);
  });

  it('moves aside a SQLite database that is not a cache, without altering it', async () => {
    const dir = freshDir();
    const path = join(dir, 'embeddings.db');
    const foreign = new Database(path);
    foreign.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep')");
    foreign.close();
    const before = readFileSync(path);
    const logger = recordingLogger();
    const cache = await SqliteEmbeddingCache.open({ path, logger });
    await cache.close();
    const aside = readdirSync(dir).find((f) => f.startsWith('embeddings.db.corrupt-'));
    expect(aside).toBeDefined();
    expect(readFileSync(join(dir, aside ?? '')).equals(before)).toBe(true);
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(true);
  });

  it('treats reads after the file is gone bad as misses with a warning, never throwing', async () => {
    const logger = recordingLogger();
    const cache = await SqliteEmbeddingCache.open({ path: join(freshDir(), 'c.db'), logger });
    await cache.putMany([[key(1), vec(1)]]);
    await cache.close();
    // A closed cache: reads and writes warn and miss.
    expect((await cache.getMany([key(1)])).size).toBe(0);
    await cache.putMany([[key(2), vec(2)]]);
    expect(cache.stats.misses).toBe(1);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('stores 256-dim vectors without overflow pages: the file stays within 1.3x of keys + vectors', async () => {
    const path = join(freshDir(), 'embeddings.db');
    const cache = await SqliteEmbeddingCache.open({ path, logger: recordingLogger() });
    const n = 3000;
    const dims = 256;
    const entries = Array.from({ length: n }, (_, i) => {
      const v = new Float32Array(dims).map((_, j) => Math.sin(i * 7 + j));
      return [embeddingCacheKey({ ...space, dims }, `c-${i}`), v] as const;
    });
    await cache.putMany(entries);
    await cache.close();
    const payload = n * (dims * 4 + 64);
    const db = new Database(path, { readonly: true });
    const pages = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    db.close();
    // Schema 1 (WITHOUT ROWID on 4 KiB pages) took ~4.3x here: one overflow page per row.
    expect(pages / payload).toBeLessThan(1.3);
  });

  it('migrates a schema-1 file (WITHOUT ROWID) to schema 2, keeping every entry and its recency', async () => {
    const path = join(freshDir(), 'embeddings.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL, last_used INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX embeddings_last_used ON embeddings (last_used);
    `);
    old.prepare("INSERT INTO meta (key, value) VALUES ('format', ?), ('schema_version', '1')").run(SQLITE_CACHE_FORMAT);
    const put = old.prepare('INSERT INTO embeddings (key, vector, last_used) VALUES (?, ?, ?)');
    for (let i = 0; i < 50; i++) put.run(key(i), Buffer.from(vec(i).buffer), i + 1);
    old.close();

    const cache = await SqliteEmbeddingCache.open({ path, logger: recordingLogger(), maxEntries: 40 });
    expect(cache.size()).toBe(50);
    const found = await cache.getMany([key(0), key(49)]);
    expect(found.get(key(49))).toEqual(vec(49));
    await cache.close(); // prunes the 10 least recently used (key(0) was just touched, so it stays)
    const db = new Database(path, { readonly: true });
    const meta = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
    const ddl = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'embeddings'").get();
    const kept = db.prepare<[], { key: string }>('SELECT key FROM embeddings').all().map((r) => r.key);
    expect(db.pragma('page_size', { simple: true })).toBe(8192);
    db.close();
    expect(meta?.value).toBe(String(SQLITE_CACHE_SCHEMA_VERSION));
    expect(ddl?.sql).not.toMatch(/WITHOUT ROWID/i);
    expect(kept).toHaveLength(40);
    expect(kept).toContain(key(0));
    expect(kept).not.toContain(key(1));
  });
});
