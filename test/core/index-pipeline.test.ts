import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { TreeSitterChunker } from '../../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { FILE_FILTER_VERSION } from '../../src/core/file-filter.js';
import {
  batchSizeFor,
  DEFAULT_FILES_PER_BATCH,
  indexTree,
  MAX_BATCHES_IN_FLIGHT,
  OVERLAP_MIN_FILES_PER_BATCH,
  OVERLAP_TARGET_BATCHES,
  type IndexDeps,
} from '../../src/core/index-pipeline.js';
import type { Logger, SourceReader, VectorStore } from '../../src/core/ports.js';
import { estimateTokens } from '../../src/core/token-budget.js';
import type { RefScope } from '../../src/core/types.js';
import { failingStore } from '../fakes/failing-store.js';
import { HashEmbedder } from '../fakes/hash-embedder.js';

const scope: RefScope = { repo: 'acme/widgets', ref: 'refs/heads/main' };
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const chunker = new TreeSitterChunker({ tokenCounter: { count: (t) => estimateTokens(t) }, maxTokens: 128 });

let dir: string;
let repo: string;

function write(rel: string, text: string): void {
  const file = path.join(repo, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function gitCommit(message: string): string {
  execFileSync('git', ['add', '-A'], { cwd: repo });
  execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', message, '--allow-empty'],
    { cwd: repo },
  );
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
}

/** Every point of the scope as comparable rows: id, path, lines, hashes, symbol, scope line, ordinal, code. */
function dump(storePath: string): string[] {
  const db = new Database(storePath, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT id, path, start_line, end_line, content_hash, file_hash, symbol, symbol_kind, scope_line, ordinal, text
           FROM chunks WHERE repo = ? AND ref = ? ORDER BY id`,
      )
      .all(scope.repo, scope.ref) as Array<Record<string, unknown>>;
    return rows.map(
      (r) =>
        `${String(r.id)} ${String(r.path)}:${String(r.start_line)}-${String(r.end_line)} ${String(r.content_hash).slice(0, 8)} ` +
        `${String(r.file_hash).slice(0, 8)} ${String(r.symbol_kind)} ${String(r.symbol)} [${String(r.scope_line)}] #${String(r.ordinal)} ` +
        JSON.stringify(r.text),
    );
  } finally {
    db.close();
  }
}

async function run(
  storePath: string,
  options: {
    embedder?: HashEmbedder | null;
    wrap?: (s: VectorStore) => VectorStore;
    full?: boolean;
    planSource?: 'scan' | 'diff';
    /** Receives the path of every `readFile` of the run. */
    onRead?: (path: string) => void;
    /** The size limit of the run and of its reader (default: both 1 MiB). */
    maxFileBytes?: number;
    /** Default: the shared tree-sitter chunker. */
    chunker?: TreeSitterChunker;
    optimize?: boolean;
  } = {},
) {
  const embedder = options.embedder === undefined ? new HashEmbedder() : options.embedder;
  const space = embedder
    ? { modelId: embedder.info.id, revision: embedder.info.revision, dims: embedder.info.dims }
    : null;
  const store = await SqliteVectorStore.open({ path: storePath, space });
  const opened = await openSourceReader(
    repo,
    options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {},
  );
  const onRead = options.onRead;
  const reader: SourceReader = onRead
    ? Object.assign(Object.create(opened) as SourceReader, {
        readFile: (p: string) => {
          onRead(p);
          return opened.readFile(p);
        },
      })
    : opened;
  const commit = await reader.headCommit();
  const deps: IndexDeps = {
    reader,
    chunker: options.chunker ?? chunker,
    embedder,
    cache: null,
    store: options.wrap ? options.wrap(store) : store,
    logger: silent,
  };
  try {
    return await indexTree(deps, {
      scope,
      commit,
      full: options.full ?? false,
      planSource: options.planSource ?? 'scan',
      filesPerBatch: 2,
      ...(options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {}),
      ...(options.optimize !== undefined ? { optimize: options.optimize } : {}),
    });
  } finally {
    await store.close();
  }
}

async function stateOf(storePath: string) {
  const store = await SqliteVectorStore.open({
    path: storePath,
    space: { modelId: 'test/hash-embedder', revision: 'v1', dims: 8 },
  });
  try {
    return await store.getState(scope);
  } finally {
    await store.close();
  }
}

/** Builds a fresh full index of the current tree in a new store and returns its dump. */
async function fullIndexDump(): Promise<string[]> {
  const fresh = path.join(dir, `fresh-${Math.random().toString(36).slice(2)}.db`);
  await run(fresh, { full: true });
  return dump(fresh);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-pipeline-'));
  repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  write(
    'src/math.ts',
    'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport function sub(a: number, b: number): number {\n  return a - b;\n}\n',
  );
  write(
    'src/util/strings.py',
    'def shout(s):\n    """Upper-case s."""\n    return s.upper()\n\n\nclass Greeter:\n    def hello(self, name):\n        return f"hello {name}"\n',
  );
  write('cmd/main.go', 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hi")\n}\n');
  write('README.md', '# Widgets\n\nA library of widgets.\n');
  write('assets/logo.ts', Buffer.from([0x00, 0x01, 0x02, 0xff]).toString('binary'));
  fs.writeFileSync(path.join(repo, 'assets/logo.ts'), Buffer.from([0x00, 0x01, 0x02, 0xff]));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('batchSizeFor', () => {
  it('keeps filesPerBatch in-thread; off-thread, splits a small run into about OVERLAP_TARGET_BATCHES batches', () => {
    expect(batchSizeFor(81, DEFAULT_FILES_PER_BATCH, false)).toBe(DEFAULT_FILES_PER_BATCH);
    expect(batchSizeFor(81, DEFAULT_FILES_PER_BATCH, true)).toBe(Math.ceil(81 / OVERLAP_TARGET_BATCHES));
    expect(batchSizeFor(10_000, DEFAULT_FILES_PER_BATCH, true)).toBe(DEFAULT_FILES_PER_BATCH);
    expect(batchSizeFor(5, DEFAULT_FILES_PER_BATCH, true)).toBe(OVERLAP_MIN_FILES_PER_BATCH);
    expect(batchSizeFor(0, DEFAULT_FILES_PER_BATCH, true)).toBe(OVERLAP_MIN_FILES_PER_BATCH);
    expect(batchSizeFor(81, 2, true)).toBe(2); // filesPerBatch stays the upper bound
  });
});

describe('indexTree', () => {
  it('a diff-planned run takes over the content skips of the base commit unread, until the diff changes the file', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    const first = await run(storePath); // scan: reads everything, records the binary's skip
    expect(first.counts.skipped.binary).toBe(1);
    expect((await stateOf(storePath))?.contentSkips).toEqual({
      filterVersion: FILE_FILTER_VERSION,
      maxFileBytes: 1024 * 1024,
      paths: { 'assets/logo.ts': 'binary' },
    });

    write('src/math.ts', 'export function add(a: number, b: number): number {\n  return b + a;\n}\n');
    gitCommit('edit math');
    const reads: string[] = [];
    const second = await run(storePath, { planSource: 'diff', onRead: (p) => reads.push(p) });
    expect(second.plannedBy).toBe('diff');
    expect(reads).toEqual(['src/math.ts']); // the binary is not read again
    expect(second.counts.skipped.binary).toBe(1); // still counted
    expect(second.counts.filesIndexed).toBe(1);
    expect((await stateOf(storePath))?.contentSkips?.paths).toEqual({ 'assets/logo.ts': 'binary' });
    expect(dump(storePath)).toEqual(await fullIndexDump());

    // The diff changes the binary: read again (and still skipped).
    fs.writeFileSync(path.join(repo, 'assets/logo.ts'), Buffer.from([0x00, 0x09, 0x08, 0xfe]));
    gitCommit('new logo');
    reads.length = 0;
    const third = await run(storePath, { planSource: 'diff', onRead: (p) => reads.push(p) });
    expect(reads).toEqual(['assets/logo.ts']);
    expect(third.counts.skipped.binary).toBe(1);

    // Another size limit: the filter's verdicts no longer apply, every unstored file is read.
    gitCommit('empty');
    reads.length = 0;
    await run(storePath, { planSource: 'diff', onRead: (p) => reads.push(p), maxFileBytes: 512 * 1024 });
    expect(reads).toEqual(['assets/logo.ts']);

    // Skips recorded under other filter rules: read again too.
    const db = new Database(storePath);
    const row = db
      .prepare('SELECT state FROM states WHERE repo = ? AND ref = ?')
      .get(scope.repo, scope.ref) as { state: string };
    const state = JSON.parse(row.state) as { contentSkips: { filterVersion: number } };
    state.contentSkips.filterVersion = FILE_FILTER_VERSION - 1;
    db.prepare('UPDATE states SET state = ? WHERE repo = ? AND ref = ?').run(
      JSON.stringify(state),
      scope.repo,
      scope.ref,
    );
    db.close();
    gitCommit('empty again');
    reads.length = 0;
    await run(storePath, { planSource: 'diff', onRead: (p) => reads.push(p), maxFileBytes: 512 * 1024 });
    expect(reads).toEqual(['assets/logo.ts']);
  });

  it('a diff-planned run checks sizes only of the files it reads: an oversized file is skipped, recorded, then carried unread', async () => {
    const storePath = path.join(dir, 'store.db');
    const big = 'x'.repeat(1024 * 1024 + 1);
    write('data/big.ts', big);
    gitCommit('initial');
    const first = await run(storePath); // scan: the listing measures sizes and skips the file
    expect(first.counts.skipped['too-large']).toBe(1);

    write('src/math.ts', 'export const one = 1;\n');
    gitCommit('edit math');
    const reads: string[] = [];
    const second = await run(storePath, { planSource: 'diff', onRead: (p) => reads.push(p) });
    expect(second.plannedBy).toBe('diff');
    // Not stored and not a recorded skip yet: asked for once, refused by size, recorded.
    expect(reads.sort()).toEqual(['data/big.ts', 'src/math.ts']);
    expect(second.counts.skipped['too-large']).toBe(1);
    expect((await stateOf(storePath))?.contentSkips?.paths['data/big.ts']).toBe('too-large');

    write('src/math.ts', 'export const two = 2;\n');
    gitCommit('edit math again');
    reads.length = 0;
    const third = await run(storePath, { planSource: 'diff', onRead: (p) => reads.push(p) });
    expect(reads).toEqual(['src/math.ts']); // carried over unread
    expect(third.counts.skipped['too-large']).toBe(1);

    // An indexed file that grows over the limit is dropped; one that shrinks under it is indexed.
    write('src/math.ts', big);
    write('data/big.ts', 'export const small = true;\n');
    gitCommit('swap sizes');
    const fourth = await run(storePath, { planSource: 'diff' });
    expect(fourth.counts.skipped['too-large']).toBe(1);
    expect(dump(storePath)).toEqual(await fullIndexDump());
    expect(dump(storePath).some((row) => row.includes(' data/big.ts:'))).toBe(true);
    expect(dump(storePath).some((row) => row.includes(' src/math.ts:'))).toBe(false);
  });

  it('after the size limit is lowered, a diff-planned run drops an unchanged file now over it', async () => {
    const storePath = path.join(dir, 'store.db');
    write(
      'src/big.ts',
      Array.from({ length: 120 }, (_, i) => `export const value${i} = ${i} * 2;\n`).join(''),
    ); // ≈ 3.4 kB
    gitCommit('initial');
    await run(storePath); // limit 1 MiB: indexed
    expect(dump(storePath).some((row) => row.includes(' src/big.ts:'))).toBe(true);
    write('src/math.ts', 'export const one = 1;\n');
    gitCommit('edit math');
    const second = await run(storePath, { planSource: 'diff', maxFileBytes: 2048 });
    expect(second.plannedBy).toBe('diff');
    expect(second.counts.skipped['too-large']).toBe(1);
    expect(dump(storePath).some((row) => row.includes(' src/big.ts:'))).toBe(false);
    const fresh = path.join(dir, 'fresh-small-limit.db');
    await run(fresh, { full: true, maxFileBytes: 2048 });
    expect(dump(storePath)).toEqual(dump(fresh));
  });

  it('indexes a tree, counts skips, and a second run over an unchanged tree embeds and writes nothing', async () => {
    const storePath = path.join(dir, 'store.db');
    const commit = gitCommit('initial');
    const embedder = new HashEmbedder();
    const first = await run(storePath, { embedder });
    expect(first.counts.filesIndexed).toBe(4);
    expect(first.counts.skipped.binary).toBe(1);
    expect(first.counts.chunks).toBeGreaterThanOrEqual(4);
    expect(first.counts.embedded).toBe(embedder.embeddedTexts.length);
    expect(first.counts.embedded).toBeGreaterThan(0);
    const state = await stateOf(storePath);
    expect(state?.status).toBe('complete');
    expect(state?.commit).toBe(commit);

    const before = dump(storePath);
    const second = await run(storePath, { embedder });
    expect(second.counts.filesIndexed).toBe(0);
    expect(second.counts.filesUnchanged).toBe(4);
    expect(second.counts.embedded).toBe(0);
    expect(second.counts.pointsUpserted).toBe(0);
    expect(dump(storePath)).toEqual(before);
  });

  it('after modify, add, delete and rename, the index equals a fresh full index (scan and diff plans)', async () => {
    for (const planSource of ['scan', 'diff'] as const) {
      const storePath = path.join(dir, `store-${planSource}.db`);
      gitCommit('initial');
      await run(storePath, { planSource });
      write('src/math.ts', 'export function add(a: number, b: number): number {\n  return b + a;\n}\n');
      write('src/new.ts', 'export const answer = 42;\n');
      fs.rmSync(path.join(repo, 'README.md'));
      fs.renameSync(path.join(repo, 'cmd/main.go'), path.join(repo, 'cmd/app.go'));
      gitCommit(`changes ${planSource}`);
      const embedder = new HashEmbedder();
      const report = await run(storePath, { embedder, planSource });
      expect(report.plannedBy).toBe(planSource);
      // The renamed Go file has new embedded text (its header names the path): only changed chunks are embedded.
      expect(report.counts.filesDropped).toBe(2); // README.md and cmd/main.go
      // Its chunks were rebuilt from the store under the new path, not chunked again.
      expect(report.counts.filesReused).toBe(1);
      expect(dump(storePath)).toEqual(await fullIndexDump());
      expect(dump(storePath).some((row) => row.includes('README.md'))).toBe(false);
      // Reset the tree for the next plan source.
      execFileSync('git', ['reset', '-q', '--hard', 'HEAD~1'], { cwd: repo });
    }
  });

  it('rebuilds a renamed file from the store only when every stored point checks out; otherwise chunks it, with the same index', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    await run(storePath, { planSource: 'diff' });
    // 1. A rename whose old path's stored scope line was altered: the content hash check fails.
    const db = new Database(storePath);
    expect(
      db
        .prepare(
          "UPDATE chunks SET scope_line = 'function forged' WHERE path = 'src/math.ts' AND ordinal = 0",
        )
        .run().changes,
    ).toBe(1);
    db.close();
    fs.renameSync(path.join(repo, 'src/math.ts'), path.join(repo, 'src/arith.ts'));
    // 2. A rename that changes the language (markdown → plain text): chunked.
    fs.renameSync(path.join(repo, 'README.md'), path.join(repo, 'README.txt'));
    // 3. A plain rename: rebuilt.
    fs.renameSync(path.join(repo, 'cmd/main.go'), path.join(repo, 'cmd/app.go'));
    gitCommit('three renames');
    const chunked: string[] = [];
    const spy = Object.assign(Object.create(chunker) as typeof chunker, {
      chunk: (file: Parameters<typeof chunker.chunk>[0]) => {
        chunked.push(file.path);
        return chunker.chunk(file);
      },
    });
    const report = await run(storePath, { planSource: 'diff', chunker: spy });
    expect(report.counts.filesReused).toBe(1);
    expect(chunked.sort()).toEqual(['README.txt', 'src/arith.ts']);
    expect(dump(storePath)).toEqual(await fullIndexDump());

    // A full run (the scheduled repair) never rebuilds from the store.
    fs.renameSync(path.join(repo, 'cmd/app.go'), path.join(repo, 'cmd/main.go'));
    gitCommit('rename back');
    const full = await run(storePath, { full: true });
    expect(full.counts.filesReused).toBe(0);
    expect(dump(storePath)).toEqual(await fullIndexDump());
  });

  it('optimizes the store after a full run or when asked, and a failing optimize leaves the run complete', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    const calls: string[] = [];
    const spy = (fail: boolean) => (s: VectorStore) =>
      Object.assign(Object.create(s) as VectorStore, {
        optimize: () => {
          calls.push(fail ? 'optimize (failing)' : 'optimize');
          return fail ? Promise.reject(new Error('disk full')) : s.optimize!();
        },
      });
    await run(storePath, { wrap: spy(false) }); // the first index: incremental (scan)
    write('src/new.ts', 'export const answer = 42;\n');
    gitCommit('second');
    await run(storePath, { wrap: spy(false), planSource: 'diff' });
    expect(calls).toEqual([]);
    const full = await run(storePath, { wrap: spy(false), full: true });
    expect(calls).toEqual(['optimize']);
    expect(full.counts.filesIndexed).toBe(5);
    await run(storePath, { wrap: spy(true), full: true });
    expect(calls).toEqual(['optimize', 'optimize (failing)']);
    // Asked for explicitly (the action's scheduled repair runs plan by content hash, not full), or not.
    await run(storePath, { wrap: spy(false), optimize: true });
    await run(storePath, { wrap: spy(false), full: true, optimize: false });
    expect(calls).toEqual(['optimize', 'optimize (failing)', 'optimize']);
    expect(await stateOf(storePath)).toMatchObject({ status: 'complete' });
    expect(dump(storePath)).toEqual(await fullIndexDump());
  });

  it('a file that becomes binary is dropped', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    await run(storePath);
    fs.writeFileSync(path.join(repo, 'src/math.ts'), Buffer.from([0x00, 0x61, 0x00]));
    const report = await run(storePath);
    expect(report.counts.skipped.binary).toBe(2);
    expect(dump(storePath).some((row) => row.includes('src/math.ts'))).toBe(false);
  });

  it.each([
    ['upsert', 2, false],
    ['deleteByPath', 1, false],
    ['putState', 2, false],
    // Off-thread embedder: the store fails while the next batch is being embedded.
    ['upsert', 1, true],
  ] as const)(
    'a run failing at %s call %i (off-thread embedder: %s) keeps the previous complete state, and a re-run converges',
    async (method, call, offThread) => {
      const storePath = path.join(dir, 'store.db');
      const firstCommit = gitCommit('initial');
      await run(storePath);
      write('src/math.ts', 'export function mul(a: number, b: number): number {\n  return a * b;\n}\n');
      write('src/extra.ts', 'export const x = 1;\n');
      write('src/more.ts', 'export const y = 2;\n');
      fs.rmSync(path.join(repo, 'cmd/main.go'));
      gitCommit('second');
      const embedder = offThread ? new HashEmbedder(8, 'test/hash-embedder', { delayMs: 10 }) : undefined;
      await expect(run(storePath, { embedder, wrap: (s) => failingStore(s, method, call) })).rejects.toThrow(
        /injected/,
      );
      const state = await stateOf(storePath);
      expect(state?.commit).toBe(firstCommit);
      expect(state?.status).toBe('in_progress');
      await run(storePath);
      expect(dump(storePath)).toEqual(await fullIndexDump());
      expect((await stateOf(storePath))?.status).toBe('complete');
    },
  );

  it('with an off-thread embedder, batch k is embedded while k+1 is read, and the index is the same', async () => {
    const commit = gitCommit('initial');
    const sequential = path.join(dir, 'sequential.db');
    await run(sequential);
    const events: string[] = [];
    const overlapped = path.join(dir, 'overlapped.db');
    const report = await run(overlapped, {
      embedder: new HashEmbedder(8, 'test/hash-embedder', { delayMs: 30, events }),
      onRead: (p) => events.push(`read:${p}`),
      wrap: (s) =>
        Object.assign(Object.create(s) as VectorStore, {
          upsert: (points: Parameters<VectorStore['upsert']>[0]) => {
            events.push(`upsert:${points.length}`);
            return s.upsert(points);
          },
        }),
    });
    expect(dump(overlapped)).toEqual(dump(sequential));
    expect(await stateOf(overlapped)).toMatchObject({ status: 'complete', commit });
    expect(report.counts.embedded).toBeGreaterThan(0);
    // The second batch's files (batches of 2, after the scan plan's reads) are read before the first
    // batch's embedding ended, and the first batch is written after it.
    const firstEnd = events.indexOf(events.find((e) => e.startsWith('embed-end'))!);
    const firstUpsert = events.indexOf(events.find((e) => e.startsWith('upsert'))!);
    expect(events.lastIndexOf('read:cmd/main.go')).toBeLessThan(firstEnd);
    expect(firstUpsert).toBeGreaterThan(firstEnd);
  });

  it('with an off-thread embedder, files that went away are dropped while batches embed, a renamed one after its target is written', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    await run(storePath);
    fs.rmSync(path.join(repo, 'README.md')); // a deletion: dropped early
    fs.mkdirSync(path.join(repo, 'zz'));
    fs.renameSync(path.join(repo, 'cmd/main.go'), path.join(repo, 'zz/main.go')); // renamed into the last batch
    write('b/x.ts', 'export const x = 1;\n');
    write('src/math.ts', 'export function mul(a: number, b: number): number {\n  return a * b;\n}\n');
    gitCommit('delete, rename, add, modify');
    const events: string[] = [];
    const report = await run(storePath, {
      planSource: 'diff',
      embedder: new HashEmbedder(8, 'test/hash-embedder', { delayMs: 20 }),
      wrap: (s) =>
        Object.assign(Object.create(s) as VectorStore, {
          upsert: (points: Parameters<VectorStore['upsert']>[0]) => {
            events.push(`upsert:${[...new Set(points.map((p) => p.path))].join(',')}`);
            return s.upsert(points);
          },
          deleteByPath: (...args: Parameters<VectorStore['deleteByPath']>) => {
            if (!args[2]) events.push(`drop:${args[1].join(',')}`);
            return s.deleteByPath(...args);
          },
        }),
    });
    expect(report.plannedBy).toBe('diff');
    expect(report.counts.filesDropped).toBe(2);
    // Batches of 2 (filesPerBatch): [b/x.ts, src/math.ts], then [zz/main.go]. With MAX_BATCHES_IN_FLIGHT
    // = 2 the first is written once the second is chunked; the deletion is dropped while the second
    // embeds, the renamed file after its target is written.
    expect(MAX_BATCHES_IN_FLIGHT).toBe(2);
    expect(events).toEqual([
      'upsert:b/x.ts,src/math.ts',
      'drop:README.md',
      'upsert:zz/main.go',
      'drop:cmd/main.go',
    ]);
    expect(dump(storePath)).toEqual(await fullIndexDump());
  });

  it('with an off-thread embedder, an embedding failure while a batch is being written is fatal, state stays, a re-run converges', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    const embedder = new HashEmbedder(8, 'test/hash-embedder', { delayMs: 10 });
    embedder.failAfter = 3;
    await expect(run(storePath, { embedder })).rejects.toThrow(/injected embedder failure/);
    expect((await stateOf(storePath))?.status).toBe('in_progress');
    await run(storePath, { embedder: new HashEmbedder(8, 'test/hash-embedder', { delayMs: 10 }) });
    expect(dump(storePath)).toEqual(await fullIndexDump());
    expect((await stateOf(storePath))?.status).toBe('complete');
  });

  it('an embedder failure is fatal and writes no state complete', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    const embedder = new HashEmbedder();
    embedder.failAfter = 1;
    await expect(run(storePath, { embedder })).rejects.toThrow(/injected embedder failure/);
    const state = await stateOf(storePath);
    expect(state?.status).toBe('in_progress');
    expect(state?.commit).toBeNull();
  });

  it('reuses vectors stored for the same content instead of embedding again (--full)', async () => {
    const storePath = path.join(dir, 'store.db');
    gitCommit('initial');
    await run(storePath);
    const embedder = new HashEmbedder();
    const report = await run(storePath, { embedder, full: true });
    expect(report.plannedBy).toBe('full');
    expect(report.counts.filesIndexed).toBe(4);
    expect(report.counts.embedded).toBe(0);
    expect(report.counts.storeHits).toBeGreaterThan(0);
  });

  it('builds a lexical-only index without an embedder', async () => {
    const storePath = path.join(dir, 'lexical.db');
    gitCommit('initial');
    const report = await run(storePath, { embedder: null });
    expect(report.counts.embedded).toBe(0);
    const store = await SqliteVectorStore.open({ path: storePath, space: null });
    try {
      const hits = await store.query({ text: 'shout', vector: null, mode: 'lexical', k: 5, filter: {} });
      expect(hits[0]?.path).toBe('src/util/strings.py');
      expect((await store.getState(scope))?.model).toBe('none');
    } finally {
      await store.close();
    }
  });

  it('indexes an empty repository (no commits) as complete with nothing in it', async () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    execFileSync('git', ['init', '-q'], { cwd: empty });
    repo = empty;
    const storePath = path.join(dir, 'empty.db');
    const report = await run(storePath);
    expect(report.counts.filesSeen).toBe(0);
    expect(report.commit).toBeNull();
    expect(dump(storePath)).toEqual([]);
  });
});
