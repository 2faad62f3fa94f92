import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SQLITE_TUNING,
  SqliteVectorStore,
  hexKey,
  VEC0_CHUNK_SIZE,
  DEFAULT_LEXICAL_CUTOFF,
  ftsMatchExpression,
  normalizePathPrefix,
} from '../../../src/adapters/sqlite/sqlite-vector-store.js';
import { StoreCorruptError, VectorStoreError } from '../../../src/core/errors.js';
import { sha256Hex } from '../../../src/core/identity.js';
import type { VectorStore } from '../../../src/core/ports.js';
import type { Point } from '../../../src/core/types.js';
import {
  CONFORMANCE_SPACE,
  axisVector,
  describeVectorStoreConformance,
  makePoint,
} from '../../conformance/vector-store-conformance.js';

const root = mkdtempSync(join(tmpdir(), 'codeidx-sqlite-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = (): string => join(root, `store-${++counter}.db`);
/** The scope `makePoint` uses by default. */
const MAIN_SCOPE = { repo: 'acme/alpha', ref: 'refs/heads/main' };

/**
 * Rewrites a version-4 (current) store file into the version-2 layout (chunks with a UNIQUE id and string
 * indexes, no integer keys, no files table), as codeidx before schema 3 wrote it.
 */
function downgradeToV2(path: string): void {
  const db = new Database(path);
  const columns =
    'id, repo, ref, commit_sha, path, dirs, language, symbol, symbol_kind, start_line, end_line, content_hash, file_hash, text';
  db.exec(`
    BEGIN;
    CREATE TABLE chunks_v2 (
      rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, repo TEXT NOT NULL, ref TEXT NOT NULL, commit_sha TEXT,
      path TEXT NOT NULL, dirs TEXT NOT NULL, language TEXT NOT NULL, symbol TEXT, symbol_kind TEXT NOT NULL,
      start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, content_hash TEXT NOT NULL, file_hash TEXT NOT NULL,
      text TEXT NOT NULL
    );
    INSERT INTO chunks_v2 (rowid, ${columns}) SELECT rowid, ${columns} FROM chunks;
    DROP TABLE chunks;
    DROP TABLE files;
    ALTER TABLE chunks_v2 RENAME TO chunks;
    CREATE INDEX chunks_scope_path_file ON chunks (repo, ref, path, file_hash);
    CREATE INDEX chunks_content_hash ON chunks (content_hash);
    UPDATE meta SET value = '2' WHERE key = 'schema_version';
    COMMIT;
  `);
  db.close();
}

/**
 * Asserts that the store file at `path` has the version-5 layout: version, chunk indexes, the
 * `scope_line` and `ordinal` columns, exact `files`.
 */
function expectVersion5Layout(path: string): void {
  const db = new Database(path, { readonly: true });
  expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({ value: '5' });
  const columns = (db.prepare('PRAGMA table_info(chunks)').all() as Array<{ name: string }>).map(
    (c) => c.name,
  );
  expect(columns.slice(-2)).toEqual(['scope_line', 'ordinal']);
  const indexes = (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'chunks' AND sql IS NOT NULL ORDER BY name",
      )
      .all() as Array<{ name: string }>
  ).map((r) => r.name);
  expect(indexes).toEqual(['chunks_content_key', 'chunks_scope_path']);
  expect(filesTableMismatch(db)).toEqual([]);
  db.close();
}

/** SQL that removes the columns schema version 5 added (an older store's `chunks` table). */
const DROP_VERSION_5_COLUMNS =
  'ALTER TABLE chunks DROP COLUMN scope_line; ALTER TABLE chunks DROP COLUMN ordinal;';

/**
 * Writes `points` into a new store at `path`, records a hybrid query's hits, closes it, then runs
 * `sql` on the file (to give it an older layout). Returns the query and its hits before the change.
 */
async function writeThenDowngrade(path: string, points: Point[], sql: string) {
  const writer = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
  await writer.upsert(points);
  const query = { text: 'alpha beta', vector: axisVector(1), mode: 'hybrid', k: 10, filter: {} } as const;
  const before = await writer.query(query);
  await writer.close();
  const db = new Database(path);
  db.exec(sql);
  db.close();
  return { query, before };
}

/** Rows where the files table and a count over the chunk rows disagree (empty when consistent). */
function filesTableMismatch(db: Database.Database): unknown[] {
  return db
    .prepare(
      `SELECT * FROM (
         SELECT repo, ref, path, file_hash, chunks FROM files
         EXCEPT SELECT repo, ref, path, file_hash, count(*) FROM chunks GROUP BY repo, ref, path, file_hash)
       UNION ALL SELECT * FROM (
         SELECT repo, ref, path, file_hash, count(*) FROM chunks GROUP BY repo, ref, path, file_hash
         EXCEPT SELECT repo, ref, path, file_hash, chunks FROM files)`,
    )
    .all();
}

describeVectorStoreConformance(
  'SqliteVectorStore',
  (space) => Promise.resolve(new SqliteVectorStore({ path: freshPath(), space })),
  (store: VectorStore) => {
    const path = (store as SqliteVectorStore).path;
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    return Promise.resolve();
  },
);

// The same suite with every kNN on the binary-quantized path (re-scoring depth 2 at most: the
// Hamming candidates themselves must honour the filters), so both kNN paths are held to the contract.
describeVectorStoreConformance(
  'SqliteVectorStore (quantized kNN)',
  (space) =>
    Promise.resolve(
      new SqliteVectorStore({
        path: freshPath(),
        space,
        vectorSearch: 'quantized',
        rescoreCandidates: { min: 1, perResult: 2 },
      }),
    ),
  (store: VectorStore) => {
    const path = (store as SqliteVectorStore).path;
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    return Promise.resolve();
  },
);

// The same suite with kNN served by the in-memory index (rebuilt after every write): once scoring
// every eligible point (small sets), once through the Hamming pre-selection with a re-scoring depth
// of 2 at most (the candidates themselves must honour the filters).
describeVectorStoreConformance(
  'SqliteVectorStore (memory index)',
  (space) => Promise.resolve(new SqliteVectorStore({ path: freshPath(), space, memoryIndex: true })),
  (store: VectorStore) => {
    const path = (store as SqliteVectorStore).path;
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    return Promise.resolve();
  },
);
describeVectorStoreConformance(
  'SqliteVectorStore (memory index, quantized)',
  (space) =>
    Promise.resolve(
      new SqliteVectorStore({
        path: freshPath(),
        space,
        memoryIndex: true,
        vectorSearch: 'quantized',
        rescoreCandidates: { min: 1, perResult: 2 },
      }),
    ),
  (store: VectorStore) => {
    const path = (store as SqliteVectorStore).path;
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    return Promise.resolve();
  },
);

describe('SqliteVectorStore (SQLite specifics)', () => {
  it('persists points, vectors and state across reopen', async () => {
    const path = freshPath();
    const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    const p = makePoint({
      path: 'src/a.ts',
      text: 'function persistMe() {}',
      symbol: 'persistMe',
      vector: axisVector(2),
    });
    await store.upsert([p]);
    await store.close();
    await store.close(); // idempotent
    const again = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    expect(await again.count()).toBe(1);
    const [hit] = await again.query({
      text: 'persist',
      vector: axisVector(2),
      mode: 'hybrid',
      k: 1,
      filter: {},
    });
    expect(hit?.id).toBe(p.id);
    expect(SqliteVectorStore.readSpace(path)).toEqual(CONFORMANCE_SPACE);
    await again.close();
    expect(SqliteVectorStore.readSpace(join(root, 'missing.db'))).toBeUndefined();
  });

  it('refuses a store of an older schema version with a hint to re-index, and changes nothing', async () => {
    const path = freshPath();
    await (await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE })).close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
    db.close();
    const before = readFileSync(path);
    const error = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorStoreError);
    expect((error as VectorStoreError).message).toMatch(/schema version 1.*older codeidx/);
    expect((error as VectorStoreError).hint).toMatch(/--full.*new data dir.*delete/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('keeps the last of duplicate ids in one upsert, and replaces existing ids', async () => {
    const store = await SqliteVectorStore.open({ path: freshPath(), space: CONFORMANCE_SPACE });
    const first = makePoint({ path: 'a.ts', text: 'alpha first', vector: axisVector(1) });
    const second = { ...first, text: 'alpha second', vector: axisVector(2) };
    await store.upsert([first, second]);
    expect(await store.count()).toBe(1);
    const [hit] = await store.query({
      text: 'alpha',
      vector: axisVector(2),
      mode: 'semantic',
      k: 5,
      filter: {},
    });
    expect(hit?.text).toBe('alpha second');
    expect(hit?.score).toBeCloseTo(1, 5);
    await store.upsert([{ ...first, text: 'alpha third' }]);
    const lexical = await store.query({ text: 'alpha', vector: null, mode: 'lexical', k: 5, filter: {} });
    expect(lexical.map((h) => h.text)).toEqual(['alpha third']);
    expect(await store.query({ text: 'second', vector: null, mode: 'lexical', k: 5, filter: {} })).toEqual(
      [],
    );
    await store.close();
  });

  it('updates a re-upserted point with unchanged content and vector in place (new lines and commit), and rewrites it when the vector changed', async () => {
    const path = freshPath();
    const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE, workload: 'index' });
    const p = makePoint({
      path: 'src/move.ts',
      text: 'function shifted() {}',
      symbol: 'shifted',
      vector: axisVector(3),
    });
    // A second point, so that a rewritten row gets a new rowid (SQLite reuses the largest one + 1).
    await store.upsert([p, makePoint({ path: 'src/other.ts', text: 'other', vector: axisVector(1) })]);
    const rowidOf = (): number => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare('SELECT rowid FROM chunks WHERE id = ?').get(p.id) as { rowid: number }).rowid;
      } finally {
        db.close();
      }
    };
    const before = rowidOf();
    // Lines above the function grew: same id, content and vector; new lines, commit, file hash.
    const moved = {
      ...p,
      startLine: p.startLine + 10,
      endLine: p.endLine + 10,
      commit: 'c'.repeat(40),
      fileHash: 'f'.repeat(64),
    };
    await store.upsert([moved]);
    expect(rowidOf()).toBe(before); // updated in place: FTS and vec0 rows untouched
    const [hit] = await store.query({
      text: 'shifted',
      vector: axisVector(3),
      mode: 'hybrid',
      k: 1,
      filter: {},
    });
    expect(hit).toMatchObject({
      id: p.id,
      startLine: moved.startLine,
      endLine: moved.endLine,
      commit: moved.commit,
    });
    expect((await store.indexedFiles({ repo: p.repo, ref: p.ref })).get('src/move.ts')).toEqual([
      moved.fileHash,
    ]);
    // A new vector for the same id is a rewrite: kNN finds it by the new vector only.
    await store.upsert([{ ...moved, vector: axisVector(5) }]);
    expect(rowidOf()).not.toBe(before);
    const [near] = await store.query({ text: '', vector: axisVector(5), mode: 'semantic', k: 1, filter: {} });
    expect(near?.id).toBe(p.id);
    expect(near?.score).toBeCloseTo(1, 5);
    // So is a new symbol (it is in the FTS row).
    await store.upsert([{ ...moved, vector: axisVector(5), symbol: 'renamedSymbol' }]);
    const [bySymbol] = await store.query({
      text: 'renamedSymbol',
      vector: null,
      mode: 'lexical',
      k: 1,
      filter: {},
    });
    expect(bySymbol?.id).toBe(p.id);
    expect(await store.count()).toBe(2);
    await store.close();
  });

  it("creates vec0 with VEC0_CHUNK_SIZE, and still reads a store laid out with sqlite-vec's default chunk size", async () => {
    const path = freshPath();
    await (await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE })).close();
    const ddl = (): string => {
      const d = new Database(path, { readonly: true });
      try {
        return (
          d.prepare("SELECT sql FROM sqlite_master WHERE name = 'chunk_vectors'").get() as { sql: string }
        ).sql;
      } finally {
        d.close();
      }
    };
    expect(ddl()).toContain(`chunk_size=${VEC0_CHUNK_SIZE}`);
    // An older store: the same table without chunk_size (1,024 per chunk).
    const oldLayout = ddl().replace(`, chunk_size=${VEC0_CHUNK_SIZE}`, '');
    const d = new Database(path);
    sqliteVec.load(d);
    d.exec('DROP TABLE chunk_vectors');
    d.exec(oldLayout);
    d.close();
    expect(ddl()).not.toContain('chunk_size');
    for (const memoryIndex of [false, true]) {
      const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE, memoryIndex });
      if (!memoryIndex) {
        await store.upsert(
          Array.from({ length: 300 }, (_, i) =>
            makePoint({ path: `f${i}.ts`, text: `t${i}`, vector: axisVector(i % CONFORMANCE_SPACE.dims) }),
          ),
        );
        const { repo, ref } = makePoint({ path: 'x', text: 'x' });
        expect(await store.deleteByPath({ repo, ref }, ['f3.ts'])).toBe(1);
      }
      const hits = await store.query({ text: '', vector: axisVector(3), mode: 'semantic', k: 5, filter: {} });
      expect(hits.map((h) => h.path)).not.toContain('f3.ts');
      expect(hits[0]?.score).toBeCloseTo(1, 5);
      expect(hits.every((h) => Number(h.path.slice(1, -3)) % CONFORMANCE_SPACE.dims === 3)).toBe(true);
      await store.close();
    }
  });

  it('upgrades a version-2 store in place: same points, rowids, search results and vectors; files table filled', async () => {
    const path = freshPath();
    const other = { repo: 'acme/other', ref: 'refs/heads/dev' };
    const points = [
      makePoint({ path: 'src/a.ts', text: 'function alpha() {}', symbol: 'alpha', vector: axisVector(1) }),
      makePoint({
        path: 'src/a.ts',
        ordinal: 1,
        text: 'function beta() {}',
        symbol: 'beta',
        vector: axisVector(2),
      }),
      // A file stored with two hashes (a run died between upsert and delete).
      makePoint({
        path: 'src/b.ts',
        text: 'const gamma = 1',
        vector: axisVector(3),
        fileHash: 'f'.repeat(64),
      }),
      makePoint({
        path: 'src/b.ts',
        ordinal: 1,
        text: 'const delta = 2',
        vector: axisVector(4),
        fileHash: 'e'.repeat(64),
      }),
      makePoint({ scope: other, path: 'lib/c.go', text: 'func Epsilon() {}', vector: axisVector(5) }),
    ];
    const writer = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    await writer.upsert(points);
    const query = {
      text: 'alpha beta gamma',
      vector: axisVector(1),
      mode: 'hybrid',
      k: 10,
      filter: {},
    } as const;
    const before = await writer.query(query);
    const filesBefore = await writer.indexedFiles(MAIN_SCOPE);
    await writer.close();
    downgradeToV2(path);

    const upgraded = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE, workload: 'search' });
    expect(await upgraded.query(query)).toEqual(before);
    expect(await upgraded.indexedFiles(MAIN_SCOPE)).toEqual(filesBefore);
    expect([...(await upgraded.indexedFiles(other)).keys()]).toEqual(['lib/c.go']);
    const vectors = await upgraded.vectorsByContentHash(points.map((p) => p.contentHash));
    expect(vectors.size).toBe(points.length);
    expect([...vectors.get(points[2].contentHash)!]).toEqual([...axisVector(3)]);
    // Writes after the upgrade keep `files` exact.
    await upgraded.deleteByPath(MAIN_SCOPE, ['src/b.ts']);
    await upgraded.upsert([makePoint({ path: 'src/d.ts', text: 'zeta', vector: axisVector(6) })]);
    expect([...(await upgraded.indexedFiles(MAIN_SCOPE)).keys()]).toEqual(['src/a.ts', 'src/d.ts']);
    await upgraded.close();
    expectVersion5Layout(path);
  });

  it('upgrades a version-3 store in place by dropping the id_key index; points are still replaced by id', async () => {
    const path = freshPath();
    const a = makePoint({
      path: 'src/a.ts',
      text: 'function alpha() {}',
      symbol: 'alpha',
      vector: axisVector(1),
    });
    const b = makePoint({ path: 'src/b.ts', text: 'const beta = 1', vector: axisVector(2) });
    // The version-3 layout: the same tables without the version-5 columns, plus an index on id_key.
    const { query, before } = await writeThenDowngrade(
      path,
      [a, b],
      `${DROP_VERSION_5_COLUMNS}
       CREATE INDEX chunks_id_key ON chunks (id_key); UPDATE meta SET value = '3' WHERE key = 'schema_version';`,
    );

    const upgraded = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    expect(await upgraded.query(query)).toEqual(before);
    await upgraded.upsert([{ ...a, text: 'function gamma() {}', symbol: 'gamma', vector: axisVector(3) }]);
    expect(await upgraded.count()).toBe(2);
    await upgraded.deleteByIds([b.id]);
    expect(await upgraded.count()).toBe(1);
    const [hit] = await upgraded.query({ text: 'gamma', vector: null, mode: 'lexical', k: 5, filter: {} });
    expect(hit?.id).toBe(a.id);
    await upgraded.close();
    expectVersion5Layout(path);
  });

  it('upgrades a version-4 store in place by adding the scope_line and ordinal columns (unknown in old rows)', async () => {
    const path = freshPath();
    const a = makePoint({
      path: 'src/a.ts',
      text: 'function alpha() {}',
      symbol: 'alpha',
      scopeLine: 'function alpha',
    });
    const b = makePoint({ path: 'src/b.ts', text: 'const beta = 1', vector: axisVector(2), scopeLine: null });
    const { query, before } = await writeThenDowngrade(
      path,
      [a, b],
      `${DROP_VERSION_5_COLUMNS} UPDATE meta SET value = '4' WHERE key = 'schema_version';`,
    );

    const upgraded = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    expect(await upgraded.query(query)).toEqual(before);
    const old = await upgraded.chunksOfPaths(MAIN_SCOPE, ['src/a.ts', 'src/b.ts']);
    expect([...old.values()].flat().map((c) => [c.path, c.scope, c.ordinal])).toEqual(
      expect.arrayContaining([
        ['src/a.ts', null, null],
        ['src/b.ts', null, null],
      ]),
    );
    // A write of the same content (a touch, not a rewrite) records the scope line and ordinal.
    await upgraded.upsert([a]);
    const [touched] = (await upgraded.chunksOfPaths(MAIN_SCOPE, ['src/a.ts'])).get('src/a.ts') ?? [];
    expect([touched?.scope, touched?.ordinal]).toEqual(['function alpha', 0]);
    await upgraded.close();
    expectVersion5Layout(path);
  });

  it("turns FTS5's deletemerge off (new and existing stores), and optimize drops deleted rows' tombstones", async () => {
    const path = freshPath();
    const deletemerge = () => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare("SELECT v FROM chunks_fts_config WHERE k = 'deletemerge'").get();
      } finally {
        db.close();
      }
    };
    const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE, workload: 'index' });
    expect(deletemerge()).toEqual({ v: 0 });
    const points = Array.from({ length: 400 }, (_, i) =>
      makePoint({
        path: `src/f${i % 40}.ts`,
        ordinal: Math.floor(i / 40),
        text: `function alpha${i}() { return beta${i % 7}; }`,
      }),
    );
    for (let i = 0; i < points.length; i += 50) await store.upsert(points.slice(i, i + 50)); // several segments
    await store.deleteByPath(
      MAIN_SCOPE,
      Array.from({ length: 30 }, (_, i) => `src/f${i}.ts`),
    );
    const query = { text: 'beta3 alpha', vector: null, mode: 'lexical', k: 50, filter: {} } as const;
    const before = await store.query(query);
    expect(before.length).toBeGreaterThan(0);
    const ftsBytes = () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare('SELECT sum(length(block)) AS n FROM chunks_fts_data').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const unoptimized = ftsBytes();
    await store.optimize();
    expect(ftsBytes()).toBeLessThan(unoptimized);
    expect(await store.query(query)).toEqual(before);
    await store.close();

    // A store whose FTS5 table has SQLite's default is switched when opened.
    const db = new Database(path);
    db.prepare("INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('deletemerge', 10)").run();
    db.close();
    expect(deletemerge()).toEqual({ v: 10 });
    await (await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE })).close();
    expect(deletemerge()).toEqual({ v: 0 });
  });

  it('keeps the files table equal to the chunk rows through random upserts, replacements, touches and deletes', async () => {
    const store = await SqliteVectorStore.open({ path: freshPath(), space: CONFORMANCE_SPACE });
    const scopes = [MAIN_SCOPE, { repo: MAIN_SCOPE.repo, ref: 'refs/heads/feature' }];
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const live: Point[] = [];
    for (let step = 0; step < 120; step++) {
      const op = rand(10);
      const scope = scopes[rand(2)];
      if (op < 5 || live.length === 0) {
        // Upsert a few points; some reuse an id with another file hash (in-place touch) or other text (replace).
        const batch: Point[] = [];
        for (let i = 0; i < 1 + rand(6); i++) {
          const reuse = live.length > 0 && rand(3) === 0 ? live[rand(live.length)] : null;
          if (reuse && rand(2) === 0) batch.push({ ...reuse, fileHash: sha256Hex(`fh${rand(3)}`) });
          else if (reuse)
            batch.push({ ...reuse, text: `${reuse.text} changed ${step}`, vector: axisVector(rand(8)) });
          else {
            const file = `d${rand(3)}/f${rand(8)}.ts`;
            batch.push(
              makePoint({
                scope,
                path: file,
                ordinal: rand(4),
                text: `t${step}-${i}`,
                vector: axisVector(rand(8)),
                fileHash: sha256Hex(`fh${rand(3)}`),
              }),
            );
          }
        }
        await store.upsert(batch);
        for (const p of batch) {
          const at = live.findIndex((q) => q.id === p.id);
          if (at >= 0) live[at] = p;
          else live.push(p);
        }
      } else if (op < 7) {
        const paths = [...new Set(live.filter((p) => p.ref === scope.ref).map((p) => p.path))].slice(
          0,
          1 + rand(2),
        );
        const keep = new Set(live.filter(() => rand(2) === 0).map((p) => p.id));
        await store.deleteByPath(scope, paths, keep);
        for (let i = live.length - 1; i >= 0; i--) {
          const p = live[i];
          if (p.ref === scope.ref && paths.includes(p.path) && !keep.has(p.id)) live.splice(i, 1);
        }
      } else if (op < 9) {
        const ids = live.filter(() => rand(4) === 0).map((p) => p.id);
        await store.deleteByIds([...ids, 'not-a-stored-id']);
        for (let i = live.length - 1; i >= 0; i--) if (ids.includes(live[i].id)) live.splice(i, 1);
      } else {
        await store.deleteRef(scope);
        for (let i = live.length - 1; i >= 0; i--) if (live[i].ref === scope.ref) live.splice(i, 1);
      }
      for (const s of scopes) {
        const expected = new Map<string, string[]>();
        for (const p of live.filter((q) => q.ref === s.ref))
          expected.set(p.path, [...new Set([...(expected.get(p.path) ?? []), p.fileHash])].sort());
        expect(new Map([...(await store.indexedFiles(s))].sort())).toEqual(new Map([...expected].sort()));
      }
    }
    expect(await store.count()).toBe(live.length);
    const path = store.path;
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(filesTableMismatch(db)).toEqual([]);
    db.close();
  });

  it('finds points and vectors by id and content hash when two of them share an integer key', async () => {
    // Same last 13 hex digits: the same `hexKey`.
    const idA = '00000000-0000-5000-8000-00000000000a';
    const idB = '11111111-2222-5333-8440-00000000000a';
    const hashA = `${'1'.repeat(51)}${'a'.repeat(13)}`;
    const hashB = `${'2'.repeat(51)}${'a'.repeat(13)}`;
    expect(hexKey(idA)).toBe(hexKey(idB));
    expect(hexKey(hashA)).toBe(hexKey(hashB));
    const store = await SqliteVectorStore.open({ path: freshPath(), space: CONFORMANCE_SPACE });
    const a = {
      ...makePoint({ path: 'a.ts', text: 'first', vector: axisVector(1) }),
      id: idA,
      contentHash: hashA,
    };
    const b = {
      ...makePoint({ path: 'b.ts', text: 'second', vector: axisVector(2) }),
      id: idB,
      contentHash: hashB,
    };
    await store.upsert([a, b]);
    await store.upsert([{ ...a, text: 'first again' }]); // replaces a only
    expect(await store.count()).toBe(2);
    const vectors = await store.vectorsByContentHash([hashB, 'f'.repeat(64)]);
    expect([...vectors.keys()]).toEqual([hashB]);
    expect([...vectors.get(hashB)!]).toEqual([...axisVector(2)]);
    await store.deleteByIds([idA]);
    const hits = await store.query({
      text: 'second',
      vector: axisVector(2),
      mode: 'hybrid',
      k: 5,
      filter: {},
    });
    expect(hits.map((h) => h.id)).toEqual([idB]);
    await store.close();
  });

  it('hexKey: 52-bit keys from the last 13 hex digits, dashes ignored; other strings through sha256', () => {
    expect(hexKey('0123456789abcdef')).toBe(0x3456789abcdef);
    expect(hexKey('01234567-89ab-5cde-8f01-23456789abcd')).toBe(hexKey('0123456789ab5cde8f0123456789abcd'));
    expect(hexKey('not-hex!')).toBe(Number.parseInt(sha256Hex('not-hex!').slice(-13), 16));
    expect(hexKey('abc')).toBe(Number.parseInt(sha256Hex('abc').slice(-13), 16));
    expect(Number.isSafeInteger(hexKey('f'.repeat(64)))).toBe(true);
  });

  it('quantized kNN (forced, and auto above exactMaxPoints) finds what exact finds on separable data', async () => {
    const path = freshPath();
    const writer = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    // 8 clusters (one per axis), distinct tilts: no ties, and sign bits separate the clusters.
    const pts = Array.from({ length: 400 }, (_, i) =>
      makePoint({ path: `src/f${i}.ts`, text: `item ${i}`, vector: axisVector(i % 8, i / 500) }),
    );
    await writer.upsert(pts);
    await writer.close();
    const query = axisVector(3, 0.2);
    const exactScore = new Map(
      pts.map((p) => [p.id, p.vector ? p.vector.reduce((s, x, i) => s + x * (query[i] ?? 0), 0) : 0]),
    );
    const results: Array<Array<{ id: string; score: number }>> = [];
    for (const options of [
      { vectorSearch: 'exact' as const },
      { vectorSearch: 'quantized' as const },
      { vectorSearch: 'auto' as const, exactMaxPoints: 100 },
      { memoryIndex: true },
      { memoryIndex: true, vectorSearch: 'quantized' as const },
    ]) {
      const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE, ...options });
      const hits = await store.query({ text: '', vector: query, mode: 'semantic', k: 10, filter: {} });
      results.push(hits.map((h) => ({ id: h.id, score: h.score })));
      for (let i = 1; i < hits.length; i++)
        expect(hits[i - 1]?.score).toBeGreaterThanOrEqual(hits[i]?.score ?? 0);
      await store.close();
    }
    const ids = results.map((r) => r.map((h) => h.id));
    expect(ids[0]).toHaveLength(10);
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    // The memory index scores from int8 codes: the same hits up to near-ties (exact scores within
    // 0.005 of the 10th exact score), each score within 0.005 of the exact cosine.
    const tenth = results[0]?.[9]?.score ?? 0;
    for (const r of results.slice(3)) {
      expect(r).toHaveLength(10);
      for (const h of r) {
        expect(exactScore.get(h.id)).toBeGreaterThan(tenth - 0.005);
        expect(Math.abs(h.score - (exactScore.get(h.id) ?? 0))).toBeLessThan(0.005);
      }
    }
  });

  it('sets mmap, page cache and WAL auto-checkpoint per workload (index: no mmap, smaller cache, rarer checkpoints)', async () => {
    for (const workload of ['search', 'index'] as const) {
      const store = await SqliteVectorStore.open({ path: freshPath(), space: CONFORMANCE_SPACE, workload });
      const db = (store as unknown as { db: Database.Database }).db;
      expect(db.pragma('mmap_size', { simple: true })).toBe(SQLITE_TUNING[workload].mmapBytes);
      expect(db.pragma('cache_size', { simple: true })).toBe(-SQLITE_TUNING[workload].cacheKib);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(
        SQLITE_TUNING[workload].walAutocheckpointPages,
      );
      await store.close();
    }
    expect(SQLITE_TUNING.index.mmapBytes).toBe(0);
    expect(SQLITE_TUNING.index.walAutocheckpointPages).toBeGreaterThan(
      SQLITE_TUNING.search.walAutocheckpointPages,
    );
  });

  it('memory index: sees writes of this and other connections, and serves path filters', async () => {
    const path = freshPath();
    const reader = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE, memoryIndex: true });
    const writer = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    await reader.warmUp();
    const a = makePoint({ path: 'src/a.ts', text: 'a', vector: axisVector(1) });
    const b = makePoint({ path: 'lib/b.ts', text: 'b', vector: axisVector(1, 0.1) });
    await writer.upsert([a, b]);
    const ask = (filter = {}) =>
      reader
        .query({ text: '', vector: axisVector(1), mode: 'semantic', k: 5, filter })
        .then((h) => h.map((x) => x.id));
    expect(await ask()).toEqual([a.id, b.id]);
    expect(await ask({ pathPrefix: 'lib' })).toEqual([b.id]);
    await reader.deleteByIds([a.id]);
    expect(await ask()).toEqual([b.id]);
    await writer.close();
    await reader.close();
  });

  it('refuses a store of another embedding space, naming both, and changes nothing', async () => {
    const path = freshPath();
    const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    await store.upsert([makePoint({ path: 'a.ts', text: 'keep me' })]);
    await store.close();
    const before = readFileSync(path);
    const other = { modelId: 'other/model', revision: 'v9', dims: 16 };
    for (const space of [other, { ...CONFORMANCE_SPACE, revision: 'v2' }, null]) {
      const error = await SqliteVectorStore.open({ path, space }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VectorStoreError);
      expect(error).not.toBeInstanceOf(StoreCorruptError);
      const message = (error as VectorStoreError).message;
      expect(message).toContain('codeidx/conformance@v1');
      expect(message).toContain(space ? `${space.modelId}@${space.revision}` : 'lexical-only');
      expect((error as VectorStoreError).hint).toMatch(/--reset/);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    const reopened = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    expect(await reopened.count()).toBe(1);
    await reopened.close();
  });

  it('reports a file of random bytes as StoreCorruptError and leaves it untouched', async () => {
    const path = freshPath();
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
    writeFileSync(path, bytes);
    const error = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as StoreCorruptError).hint).toMatch(/delete the file|--reset/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(() => SqliteVectorStore.readSpace(path)).toThrow(StoreCorruptError);
  });

  it('reports a SQLite database that is not a codeidx store and does not modify it', async () => {
    const path = freshPath();
    const foreign = new Database(path);
    foreign.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('precious')");
    foreign.close();
    const before = readFileSync(path);
    const error = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as Error).message).toMatch(/not a codeidx store/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('reports a truncated store as StoreCorruptError, never a crash', async () => {
    const path = freshPath();
    const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    const pts = Array.from({ length: 400 }, (_, i) =>
      makePoint({
        path: `src/f${i}.ts`,
        text: `function f${i}() { return ${'x'.repeat(200)} }`,
        vector: axisVector(i % 8, i / 400),
      }),
    );
    await store.upsert(pts);
    await store.close();
    for (const size of [50, 4096 * 3]) {
      const copy = freshPath();
      writeFileSync(copy, readFileSync(path));
      truncateSync(copy, size);
      const result = await (async () => {
        const s = await SqliteVectorStore.open({ path: copy, space: CONFORMANCE_SPACE });
        try {
          await s.count();
          await s.query({ text: 'return', vector: axisVector(1), mode: 'hybrid', k: 10, filter: {} });
          await s.indexedFiles({ repo: 'acme/alpha', ref: 'refs/heads/main' });
          return 'ok';
        } finally {
          await s.close().catch(() => undefined);
        }
      })().catch((e: unknown) => e);
      expect(result).toBeInstanceOf(StoreCorruptError);
    }
  });

  it('answers a 10,000-character query and builds only quoted FTS expressions', async () => {
    const store = await SqliteVectorStore.open({ path: freshPath(), space: CONFORMANCE_SPACE });
    await store.upsert([
      makePoint({ path: 'a.ts', text: 'function getUserName() {}', symbol: 'getUserName' }),
    ]);
    const long = `${'getUser '.repeat(1_251)}xx`;
    expect(long.length).toBeGreaterThanOrEqual(10_000);
    const hits = await store.query({ text: long, vector: axisVector(0), mode: 'hybrid', k: 5, filter: {} });
    expect(hits).toHaveLength(1);
    await store.close();
    expect(ftsMatchExpression('NEAR( a" AND')).toBe('"near" OR "and"');
    expect(ftsMatchExpression('*** (( ))')).toBeNull();
    expect(normalizePathPrefix('./src/core/')).toBe('src/core');
  });

  it('drops common query tokens above the cutoff when a rarer token remains', async () => {
    const store = await SqliteVectorStore.open({
      path: freshPath(),
      space: null,
      lexicalCutoff: { minDocs: 0, maxDocFraction: 0.5 },
    });
    await store.upsert([
      makePoint({ path: 'a.ts', text: 'common words here', vector: null }),
      makePoint({ path: 'b.ts', text: 'common words there', vector: null }),
      makePoint({ path: 'c.ts', text: 'common zebra', vector: null }),
    ]);
    const rareAndCommon = await store.query({
      text: 'common zebra',
      vector: null,
      mode: 'lexical',
      k: 10,
      filter: {},
    });
    expect(rareAndCommon.map((h) => h.path)).toEqual(['c.ts']);
    const onlyCommon = await store.query({
      text: 'common',
      vector: null,
      mode: 'lexical',
      k: 10,
      filter: {},
    });
    expect(onlyCommon).toHaveLength(3);
    await store.close();
  });

  it('by default drops query tokens in more than 20 % of the chunks, in stores of every size', async () => {
    expect(DEFAULT_LEXICAL_CUTOFF).toEqual({ minDocs: 0, maxDocFraction: 0.2 });
    const store = await SqliteVectorStore.open({ path: freshPath(), space: null });
    // "value" is in 2 of 6 chunks (33 %), "parse" in 1 (17 %): a query with both keeps only "parse".
    const other = { repo: 'acme/other', ref: 'refs/heads/main' };
    await store.upsert([
      makePoint({ path: 'a.ts', text: 'return value value value', vector: null }),
      makePoint({ path: 'b.ts', text: 'value of the field', vector: null }),
      makePoint({ scope: other, path: 'c.ts', text: 'parse input', vector: null }),
      ...['d', 'e', 'f'].map((name) =>
        makePoint({ scope: other, path: `${name}.ts`, text: `other ${name}`, vector: null }),
      ),
    ]);
    const lexical = (text: string, filter = {}) =>
      store.query({ text, vector: null, mode: 'lexical', k: 10, filter });
    expect((await lexical('parse value')).map((h) => h.path)).toEqual(['c.ts']);
    expect((await lexical('value')).map((h) => h.path).sort()).toEqual(['a.ts', 'b.ts']);
    // Filtered to acme/alpha, "parse" finds nothing: the query runs again with every token.
    const filtered = await lexical('parse value', { repo: MAIN_SCOPE.repo });
    expect(filtered.map((h) => h.path)).toEqual(['a.ts', 'b.ts']);
    await store.close();
  });

  it('a writer killed mid-transaction leaves a readable store with only whole batches', async () => {
    const path = freshPath();
    await (await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE })).close();
    const script = join(root, 'writer.mts');
    const storeModule = new URL('../../../src/adapters/sqlite/sqlite-vector-store.ts', import.meta.url).href;
    const conformance = new URL('../../conformance/vector-store-conformance.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { SqliteVectorStore } from ${JSON.stringify(storeModule)};
       import { CONFORMANCE_SPACE, axisVector, makePoint } from ${JSON.stringify(conformance)};
       const store = await SqliteVectorStore.open({ path: ${JSON.stringify(path)}, space: CONFORMANCE_SPACE });
       for (let batch = 0; ; batch++) {
         const pts = Array.from({ length: 500 }, (_, i) =>
           makePoint({ path: 'b' + batch + '/f' + i + '.ts', text: 'batch ' + batch + ' item ' + i, vector: axisVector(i % 8) }));
         await store.upsert(pts);
         if (batch === 1) process.stdout.write('ready\\n');
       }`,
    );
    // tsx's loader in this very process (not the tsx CLI, which would leave the writer as a grandchild).
    const loader = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', loader, script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) setTimeout(resolve, 300);
        });
        child.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const check = new Database(path);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    const store = await SqliteVectorStore.open({ path, space: CONFORMANCE_SPACE });
    const n = await store.count();
    expect(n).toBeGreaterThanOrEqual(1000);
    expect(n % 500).toBe(0);
    const hits = await store.query({
      text: 'batch item',
      vector: axisVector(3),
      mode: 'hybrid',
      k: 5,
      filter: {},
    });
    expect(hits).toHaveLength(5);
    await store.close();
  });
});
