import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  tokenCounterFromSpec,
  type TokenCounterSpec,
} from '../../../src/adapters/tree-sitter/token-counter-spec.js';
import { TreeSitterChunker } from '../../../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { WorkerPoolChunker } from '../../../src/adapters/tree-sitter/worker-pool-chunker.js';
import { ChunkError, CodeidxError } from '../../../src/core/errors.js';
import { sha256Hex } from '../../../src/core/identity.js';
import type { Logger } from '../../../src/core/ports.js';
import type { Chunk, SourceFile } from '../../../src/core/types.js';
import { SNIPPETS } from './snippets.js';

const TOKENIZER_DIR = new URL('../../../../shared/models/bert-base-uncased-tokenizer/', import.meta.url)
  .pathname;
const SPEC: TokenCounterSpec = { kind: 'tokenizer', dir: TOKENIZER_DIR };
/** Small budget: the snippets split into several chunks and the exact counter gets called. */
const OPTIONS = { tokenCounter: SPEC, maxTokens: 48, minTokens: 16 };

function file(path: string, language: string, text: string): SourceFile {
  return { path, language, text, fileHash: sha256Hex(text) };
}

/** A Go file large enough to be split into many symbol chunks. */
function bigGo(functions: number): string {
  const parts = ['package big', ''];
  for (let i = 0; i < functions; i++) {
    parts.push(`// F${i} returns the sum of its arguments plus ${i}.`);
    parts.push(`func F${i}(a, b int) int {`, `\tx := a + b + ${i}`, '\treturn x', '}', '');
  }
  return parts.join('\n');
}

const FILES: SourceFile[] = [
  ...Object.entries(SNIPPETS).map(([language, s]) => file(s.path, language, s.text)),
  file('docs/readme.md', 'markdown', '# Title\n\nSome prose.\n\n## Part\n\nMore prose here.\n'),
  file('big/big.go', 'go', bigGo(40)),
  file('empty.go', 'go', '\n\n'),
];

/** A file the chunker cannot process at all (no text): `TreeSitterChunker` throws `ChunkError`. */
const BROKEN = { path: 'broken.go', language: 'go', text: undefined, fileHash: 'x' } as unknown as SourceFile;

function collecting(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    debug: () => undefined,
    info: () => undefined,
    warn: (m) => warnings.push(m),
    error: (m) => errors.push(m),
  };
}

describe('WorkerPoolChunker', () => {
  let pool: WorkerPoolChunker;
  let inThread: TreeSitterChunker;
  let expected: Chunk[][];

  beforeAll(async () => {
    pool = await WorkerPoolChunker.create({ ...OPTIONS, threads: 2 });
    inThread = new TreeSitterChunker({ ...OPTIONS, tokenCounter: tokenCounterFromSpec(SPEC) });
    expected = [];
    for (const f of FILES) expected.push(await inThread.chunk(f));
  });

  afterAll(async () => {
    await pool.close();
    await inThread.dispose();
  });

  it('gives exactly the chunks of the in-thread chunker, in every language', async () => {
    expect(pool.threads).toBe(2);
    expect(pool.version).toBe(inThread.version);
    const results = await pool.chunkMany(FILES);
    expect(results).toEqual(expected);
    // The comparison is not vacuous: several languages, split files, exact counts in the workers.
    expect(new Set(FILES.map((f) => f.language)).size).toBeGreaterThanOrEqual(13);
    expect(expected[FILES.length - 2].length).toBeGreaterThan(20);
    expect(pool.stats.parsed).toBe(inThread.stats.parsed);
    expect(pool.stats.exactCounts).toBe(inThread.stats.exactCounts);
    expect(pool.stats.exactCounts).toBeGreaterThan(0);
  });

  it('chunk() called concurrently gives the same chunks as chunkMany', async () => {
    const results = await Promise.all(FILES.map((f) => pool.chunk(f)));
    expect(results).toEqual(expected);
  });

  it('returns a ChunkError for a file the worker cannot chunk, and the other files of the batch', async () => {
    let inThreadError: unknown;
    try {
      await inThread.chunk(BROKEN);
    } catch (error) {
      inThreadError = error;
    }
    expect(inThreadError).toBeInstanceOf(ChunkError);

    const [a, broken, b] = await pool.chunkMany([FILES[0], BROKEN, FILES[1]]);
    expect(a).toEqual(expected[0]);
    expect(b).toEqual(expected[1]);
    expect(broken).toBeInstanceOf(ChunkError);
    const error = broken as ChunkError;
    expect(error.path).toBe('broken.go');
    expect(error.message).toBe((inThreadError as ChunkError).message);
    expect(error.cause).toBeInstanceOf(Error);

    await expect(pool.chunk(BROKEN)).rejects.toBeInstanceOf(ChunkError);
    // The pool is still usable.
    expect(await pool.chunk(FILES[2])).toEqual(expected[2]);
  });

  it('replays parse-fallback warnings of the workers on the main-thread logger', async () => {
    const logger = collecting();
    const small = await WorkerPoolChunker.create({ ...OPTIONS, threads: 1, maxParseChars: 10, logger });
    try {
      const chunks = await small.chunk(FILES[0]);
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.every((c) => c.symbolKind === 'text')).toBe(true);
      expect(logger.warnings).toEqual(['chunker: parse fallback to line windows']);
      expect(small.stats.fallbacks).toBe(1);
    } finally {
      await small.close();
    }
  });
});

describe('WorkerPoolChunker failures and shutdown', () => {
  it('fails to start with a clear error when the tokenizer cannot load (no hang)', async () => {
    const start = WorkerPoolChunker.create({
      tokenCounter: { kind: 'tokenizer', dir: '/nonexistent/model' },
      threads: 1,
    });
    await expect(start).rejects.toBeInstanceOf(CodeidxError);
    await expect(start).rejects.toThrow(/failed to start.*tokenizer\.json/);
  });

  it('turns a worker dying on a file into a ChunkError for that file, then goes on', async () => {
    const logger = collecting();
    // 48 MB of JS heap per worker: enough to start and chunk normal files, not for the line table
    // of a 4-million-line file (over 100 MB of arrays), so the worker dies of out-of-memory.
    const pool = await WorkerPoolChunker.create({ ...OPTIONS, threads: 1, maxWorkerHeapMb: 48, logger });
    try {
      const huge = file('huge.txt', 'text', 'x\n'.repeat(4_000_000));
      const [dead, after] = await pool.chunkMany([huge, FILES[0]]);
      expect(dead).toBeInstanceOf(ChunkError);
      expect((dead as ChunkError).path).toBe('huge.txt');
      expect((dead as ChunkError).message).toMatch(/worker thread died/);
      expect(logger.errors).toEqual(['chunker: worker thread died; its files are skipped']);
      expect(after).not.toBeInstanceOf(ChunkError);
      expect((after as Chunk[]).length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('close() waits for queued work, stops every thread, and is idempotent', async () => {
    const pool = await WorkerPoolChunker.create({ ...OPTIONS, threads: 2 });
    expect(pool.activeThreads).toBe(2);
    const pending = pool.chunkMany(FILES);
    const closing = pool.close();
    const results = await pending;
    await closing;
    expect(results.every((r) => Array.isArray(r))).toBe(true);
    expect(pool.activeThreads).toBe(0);
    await pool.close();
    await pool.dispose();
    await expect(pool.chunk(FILES[0])).rejects.toThrow(/closed/);
    await expect(pool.chunk(FILES[0])).rejects.not.toBeInstanceOf(ChunkError);
  });
});
