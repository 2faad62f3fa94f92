/**
 * Chunking throughput: read + classify/decode + hash + parse + chunk, no embedding, with the real
 * WordPiece tokenizer as the budget's exact counter. Compares, in one process and alternating rounds
 * (the machine may be shared: compare the ratio, not the absolute figures across runs):
 * - `in-thread`: one `TreeSitterChunker`, files awaited one after the other (the pipeline today);
 * - `pool`: `WorkerPoolChunker` (threads = os.availableParallelism()), the main thread reading and
 *   classifying while the workers chunk: `chunk(file)` is called without awaiting and a batch of
 *   200 files is awaited together (the proposed pipeline loop).
 *
 * Workloads: `pipeline` (default) classifies each file with `classifyFile` as `indexTree` does, so
 * generated/binary/too-large files are skipped (and counted in files/s, as the pipeline does: each
 * is read and classified); `all` chunks every file of a known language (the first version of this
 * bench), generated tables included.
 *
 * CPU figures: `cpu` is the whole process (all threads, `process.cpuUsage`); `main` is the main
 * thread alone (Linux `/proc/self/task/<pid>/stat`, 10 ms ticks), so `cpu - main` is the workers'.
 *
 * Run: `npx tsx bench/chunk-throughput.ts [dir=/usr/share/go-1.19/src] [maxFiles=all]
 *   [workload=pipeline|all] [rounds=1] [threads=availableParallelism]`
 * (Go standard library: `apt-get install -y golang-1.19-src`).
 *
 * @module bench/chunk-throughput
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Language, Parser } from 'web-tree-sitter';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HfTokenizer } from '../src/adapters/tokenizer/hf-tokenizer.js';
import type { TokenCounterSpec } from '../src/adapters/tree-sitter/token-counter-spec.js';
import {
  TreeSitterChunker,
  type TreeSitterChunkerStats,
} from '../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { WorkerPoolChunker } from '../src/adapters/tree-sitter/worker-pool-chunker.js';
import { grammarPath } from '../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { ChunkError } from '../src/core/errors.js';
import { classifyFile } from '../src/core/file-filter.js';
import { sha256Hex } from '../src/core/identity.js';
import { detectLanguage, isParsedLanguage, type ParsedLanguage } from '../src/core/languages.js';
import type { Chunker } from '../src/core/ports.js';
import type { Chunk, SourceFile } from '../src/core/types.js';

/** Tokenizer used for the exact counts of the budget. */
export const BENCH_TOKENIZER_DIR = new URL(
  '../../shared/models/bert-base-uncased-tokenizer/',
  import.meta.url,
);

/** Which files are chunked: after the pipeline's content filter, or every known-language file. */
export type ChunkWorkload = 'pipeline' | 'all';

/** Result of one measurement. Times in seconds (wall, and CPU of the process / main thread). */
export interface ChunkThroughput {
  /** Files read (all of them count, skipped or not). */
  readonly files: number;
  /** Files chunked (not skipped by the filter). */
  readonly chunked: number;
  readonly skipped: number;
  readonly chunkErrors: number;
  readonly bytes: number;
  readonly chunks: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly mainCpuSeconds: number;
  /** Exact `TokenCounter` calls of the chunker(s) during the run. */
  readonly exactCounts: number;
  /** Parse fallbacks to line windows during the run. */
  readonly fallbacks: number;
}

/** Files per batch awaited together (the pipeline's default `filesPerBatch`). */
const BATCH = 200;

/** CPU seconds of the main thread (Linux), or NaN elsewhere. */
function mainThreadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime), in clock ticks (USER_HZ = 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Reads and decodes one file as the workload wants it, or null when the filter skips it. */
function load(path: string, workload: ChunkWorkload): { file: SourceFile | null; bytes: number } {
  const raw = readFileSync(path);
  if (workload === 'pipeline') {
    const verdict = classifyFile(path, raw);
    return { file: verdict.kind === 'ok' ? verdict.file : null, bytes: raw.length };
  }
  const text = new TextDecoder('utf-8').decode(raw);
  return {
    file: { path, language: detectLanguage(path) ?? 'text', text, fileHash: sha256Hex(raw) },
    bytes: raw.length,
  };
}

/** A chunker with the counters both `TreeSitterChunker` and `WorkerPoolChunker` keep. */
type CountingChunker = Chunker & { readonly stats: TreeSitterChunkerStats };

/**
 * Reads, filters and chunks `files` (paths) with `chunker`. `concurrent`: call `chunk` without
 * awaiting and await each batch of `BATCH` files together; else await file by file.
 */
export async function measureWith(
  chunker: CountingChunker,
  files: readonly string[],
  options: { workload: ChunkWorkload; concurrent: boolean },
): Promise<ChunkThroughput> {
  const stats0 = { ...chunker.stats };
  let chunks = 0;
  let bytes = 0;
  let chunked = 0;
  let skipped = 0;
  let chunkErrors = 0;
  const count = (r: Chunk[] | ChunkError): void => {
    if (r instanceof ChunkError) chunkErrors++;
    else chunks += r.length;
  };
  const settle = (p: Promise<Chunk[]>): Promise<Chunk[] | ChunkError> =>
    p.catch((error: unknown) => {
      if (error instanceof ChunkError) return error;
      throw error;
    });
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds();
  const t0 = performance.now();
  for (let start = 0; start < files.length; start += BATCH) {
    const pending: Array<Promise<Chunk[] | ChunkError>> = [];
    for (const path of files.slice(start, start + BATCH)) {
      const { file, bytes: n } = load(path, options.workload);
      bytes += n;
      if (file === null) {
        skipped++;
        continue;
      }
      chunked++;
      const result = settle(chunker.chunk(file));
      if (options.concurrent) pending.push(result);
      else count(await result);
    }
    for (const r of await Promise.all(pending)) count(r);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    files: files.length,
    chunked,
    skipped,
    chunkErrors,
    bytes,
    chunks,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainCpuSeconds: mainThreadCpuSeconds() - main0,
    exactCounts: chunker.stats.exactCounts - stats0.exactCounts,
    fallbacks: chunker.stats.fallbacks - stats0.fallbacks,
  };
}

/** Options of the two measurements below. */
export interface MeasureOptions {
  /** Default 'all' (every file given is decoded and chunked, as the first version of this bench). */
  readonly workload?: ChunkWorkload;
  /** Pool threads. Default `os.availableParallelism()`. */
  readonly threads?: number;
}

/**
 * Reads and chunks `files` (absolute paths) one after the other with a default in-thread
 * `TreeSitterChunker` (maxTokens 256); each file's bytes are hashed like the pipeline does.
 * Grammar loading is excluded from the time.
 */
export async function measureChunkThroughput(
  files: string[],
  tokenizerDir: string | URL = BENCH_TOKENIZER_DIR,
  options: MeasureOptions = {},
): Promise<ChunkThroughput> {
  const dir = typeof tokenizerDir === 'string' ? tokenizerDir : tokenizerDir.pathname;
  const chunker = new TreeSitterChunker({ tokenCounter: HfTokenizer.fromDirectory(dir) });
  await chunker.preload();
  try {
    return await measureWith(chunker, files, { workload: options.workload ?? 'all', concurrent: false });
  } finally {
    await chunker.dispose();
  }
}

/**
 * Same measurement with a `WorkerPoolChunker` (default maxTokens 256, same tokenizer): the main
 * thread reads/decodes/hashes while the workers chunk. Pool start-up (threads, grammars) is excluded.
 */
export async function measureWorkerPoolChunkThroughput(
  files: string[],
  tokenizerDir: string | URL = BENCH_TOKENIZER_DIR,
  options: MeasureOptions = {},
): Promise<ChunkThroughput> {
  const dir = typeof tokenizerDir === 'string' ? tokenizerDir : tokenizerDir.pathname;
  const pool = await WorkerPoolChunker.create({
    tokenCounter: { kind: 'tokenizer', dir },
    threads: options.threads,
  });
  try {
    return await measureWith(pool, files, { workload: options.workload ?? 'all', concurrent: true });
  } finally {
    await pool.close();
  }
}

/**
 * The ceiling of any web-tree-sitter chunker: read + decode (as `measureWith`) and `Parser.parse`
 * of each file of a parsed language, tree deleted at once — no walk, no chunk, no hash, one thread.
 * `chunks` counts the root node's children. Grammar loading is excluded.
 */
export async function measureParseOnly(files: string[], options: { workload?: ChunkWorkload } = {}): Promise<ChunkThroughput> {
  await Parser.init();
  const parsers = new Map<ParsedLanguage, Parser>();
  for (const path of files) {
    const language = detectLanguage(path);
    if (language !== null && isParsedLanguage(language) && !parsers.has(language)) {
      parsers.set(language, new Parser().setLanguage(await Language.load(grammarPath(language))));
    }
  }
  const workload = options.workload ?? 'all';
  let chunks = 0;
  let bytes = 0;
  let chunked = 0;
  let skipped = 0;
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds();
  const t0 = performance.now();
  for (const path of files) {
    const { file, bytes: n } = load(path, workload);
    bytes += n;
    const parser = file !== null && isParsedLanguage(file.language) ? parsers.get(file.language) : undefined;
    if (file === null || parser === undefined) {
      skipped++;
      continue;
    }
    chunked++;
    const tree = parser.parse(file.text);
    if (tree !== null) {
      chunks += tree.rootNode.childCount;
      tree.delete();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const p of parsers.values()) p.delete();
  return {
    files: files.length,
    chunked,
    skipped,
    chunkErrors: 0,
    bytes,
    chunks,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainCpuSeconds: mainThreadCpuSeconds() - main0,
    exactCounts: 0,
    fallbacks: 0,
  };
}

/** Every file under `dir` (sorted, depth-first) whose language is known. */
export function listFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, out);
    else if (entry.isFile() && detectLanguage(entry.name) !== null) out.push(full);
  }
  return out;
}

/** One line of the report. */
export function formatThroughput(name: string, r: ChunkThroughput): string {
  return (
    `${name.padEnd(10)} ${r.files} files (${r.chunked} chunked, ${r.skipped} skipped, ${r.chunkErrors} errors), ` +
    `${(r.bytes / 1e6).toFixed(1)} MB, ${r.chunks} chunks in ${r.seconds.toFixed(2)} s: ` +
    `${(r.files / r.seconds).toFixed(0)} files/s, ${(r.bytes / 1e6 / r.seconds).toFixed(2)} MB/s; ` +
    `cpu ${r.cpuSeconds.toFixed(1)} s (main thread ${r.mainCpuSeconds.toFixed(1)} s), ` +
    `${((r.cpuSeconds * 1000) / r.files).toFixed(2)} cpu-ms/file (exact counts ${r.exactCounts}, fallbacks ${r.fallbacks})`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? '/usr/share/go-1.19/src';
  const max = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
  const workload = (process.argv[4] ?? 'pipeline') as ChunkWorkload;
  const rounds = Number(process.argv[5] ?? 1);
  const threads = Number(process.argv[6] ?? availableParallelism());
  const files = listFiles(dir).slice(0, max);
  const spec: TokenCounterSpec = { kind: 'tokenizer', dir: BENCH_TOKENIZER_DIR.pathname };

  const inThread = new TreeSitterChunker({ tokenCounter: HfTokenizer.fromDirectory(spec.dir) });
  await inThread.preload();
  const t0 = performance.now();
  const pool = await WorkerPoolChunker.create({ tokenCounter: spec, threads });
  console.log(`pool of ${pool.threads} threads ready in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  console.log(`workload ${workload}: ${files.length} files under ${dir}`);
  try {
    for (let round = 1; round <= rounds; round++) {
      const a = await measureWith(inThread, files, { workload, concurrent: false });
      console.log(formatThroughput(`in-thread`, a));
      const b = await measureWith(pool, files, { workload, concurrent: true });
      console.log(formatThroughput(`pool×${pool.threads}`, b));
      console.log(
        `round ${round}: pool/in-thread speed ${(a.seconds / b.seconds).toFixed(2)}×, ` +
          `cpu ${(b.cpuSeconds / a.cpuSeconds).toFixed(2)}×` +
          (a.chunks === b.chunks ? '' : ` — CHUNK COUNTS DIFFER (${a.chunks} vs ${b.chunks})`),
      );
    }
  } finally {
    await pool.close();
    await inThread.dispose();
  }
}
