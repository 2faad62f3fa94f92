/**
 * @module adapters/tree-sitter/worker-pool-chunker — `TreeSitterChunker` on every core: a pool of
 * worker threads (piscina), one chunker per thread, grammars loaded once per thread.
 *
 * Why: on the Go standard library about 60% of chunking time is the tree-sitter wasm parser, which
 * is synchronous and single-threaded; threads are the only way to use more than one core.
 * Output is identical to an in-thread `TreeSitterChunker` built with the same options (same code,
 * same token counter, rebuilt in each thread from a serializable `TokenCounterSpec`).
 *
 * Worker file: `chunk-worker.js` beside this module (compiled `dist/`), or `chunk-worker.ts` when
 * this module runs from TypeScript sources (tsx, Vitest); then each worker registers tsx
 * (`--import <tsx loader>`), which is a dev dependency.
 *
 * Failure policy:
 * - a file the chunker cannot process → `ChunkError` for that file (per file, counted by the caller);
 * - a worker that dies while chunking (out of memory, killed) → `ChunkError` for the files of its
 *   task, logged at error; piscina starts a replacement thread. After `MAX_CONSECUTIVE_CRASHES`
 *   crashes with no successful task in between, every further call fails with `CodeidxError`
 *   (something systemic is wrong; better to halt than to skip the whole repository);
 * - a pool that cannot start (worker module or tokenizer cannot load: no task has ever succeeded)
 *   → `CodeidxError` from `create` / the first calls, never a per-file skip.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { ChunkError, CodeidxError } from '../../core/errors.js';
import type { Chunker, Logger } from '../../core/ports.js';
import type { Chunk, SourceFile } from '../../core/types.js';
import { fromWire, type ChunkTask, type ChunkTaskResult, type ChunkWorkerConfig } from './chunk-worker.js';
import { CHUNKER_VERSION, type TreeSitterChunkerStats } from './tree-sitter-chunker.js';

/** Crashes in a row (no successful task between them) after which the pool is declared broken. */
export const MAX_CONSECUTIVE_CRASHES = 3;

/** Options of `WorkerPoolChunker`: those of `TreeSitterChunker`, with a serializable counter. */
export interface WorkerPoolChunkerOptions extends ChunkWorkerConfig {
  /** Worker threads. Default `os.availableParallelism()`. */
  readonly threads?: number;
  /** Receives the workers' parse-fallback warnings and crash reports. */
  readonly logger?: Logger;
  /**
   * Largest old-generation heap of each worker, in MB (Node `resourceLimits.maxOldGenerationSizeMb`);
   * a worker over it dies and its files get a `ChunkError`. Default: Node's default.
   */
  readonly maxWorkerHeapMb?: number;
}

/**
 * Path of the worker module and the `execArgv` of the workers. From compiled JavaScript the workers
 * inherit the process's options (`execArgv` undefined: Node rejects some flags, such as
 * `--max-old-space-size`, when they are passed explicitly). From TypeScript sources they get only
 * tsx's loader, resolved to an absolute URL so that the working directory does not matter.
 */
function workerEntry(): { filename: string; execArgv: string[] | undefined } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(self).resolve('tsx')).href;
    return { filename: fileURLToPath(new URL('./chunk-worker.ts', self)), execArgv: ['--import', tsx] };
  }
  return { filename: fileURLToPath(new URL('./chunk-worker.js', self)), execArgv: undefined };
}

/**
 * A `Chunker` running `TreeSitterChunker` in worker threads. `chunk` may be called concurrently
 * (files are queued and spread over the threads); `chunkMany` chunks a batch and returns one
 * result per file, in order. Call `close()` when done: live workers keep the process running.
 */
export class WorkerPoolChunker implements Chunker {
  readonly version = CHUNKER_VERSION;
  /** Sum of the workers' `TreeSitterChunker` counters, updated as tasks complete. */
  readonly stats: TreeSitterChunkerStats = { parsed: 0, fallbacks: 0, text: 0, exactCounts: 0 };
  /** Number of worker threads. */
  readonly threads: number;
  private readonly pool: Piscina<ChunkTask, ChunkTaskResult>;
  private readonly logger: Logger | undefined;
  private consecutiveCrashes = 0;
  /** Whether any task has completed: before that, a failure means the pool cannot start. */
  private started = false;
  private broken: CodeidxError | null = null;
  private closing: Promise<void> | null = null;
  /** Tasks submitted and not yet settled: `close` waits for them (piscina's own close does not wait for queued tasks). */
  private readonly inFlight = new Set<Promise<ChunkTaskResult>>();

  /**
   * Starts the threads (grammars load on first use; see `create` to load them up front).
   * @throws ConfigError when `threads` is not a positive integer.
   */
  constructor(options: WorkerPoolChunkerOptions) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new CodeidxError(`threads must be a positive integer, got ${threads}`, {
        hint: 'omit threads to use os.availableParallelism()',
      });
    }
    this.threads = threads;
    this.logger = options.logger;
    const config: ChunkWorkerConfig = {
      tokenCounter: options.tokenCounter,
      maxTokens: options.maxTokens,
      minTokens: options.minTokens,
      windowLines: options.windowLines,
      overlapLines: options.overlapLines,
      parseTimeoutMs: options.parseTimeoutMs,
      maxParseChars: options.maxParseChars,
    };
    const entry = workerEntry();
    this.pool = new Piscina<ChunkTask, ChunkTaskResult>({
      filename: entry.filename,
      execArgv: entry.execArgv,
      workerData: config,
      minThreads: threads,
      maxThreads: threads,
      // Threads live as long as the pool: a new thread would reload every grammar.
      idleTimeout: 2 ** 31 - 1,
      resourceLimits:
        options.maxWorkerHeapMb === undefined
          ? undefined
          : { maxOldGenerationSizeMb: options.maxWorkerHeapMb },
    });
  }

  /**
   * Builds a pool and waits until every thread has loaded the chunker and all grammars.
   * @throws CodeidxError when a worker cannot start (worker module, tokenizer or grammar missing).
   */
  static async create(options: WorkerPoolChunkerOptions): Promise<WorkerPoolChunker> {
    const chunker = new WorkerPoolChunker(options);
    try {
      // One preload task per thread: each thread takes one (a busy thread is not given a second).
      await Promise.all(
        Array.from({ length: chunker.threads }, () => chunker.pool.run({ files: [], preload: true })),
      );
      chunker.started = true;
    } catch (error) {
      await chunker.pool.destroy();
      throw new CodeidxError(`chunker worker threads failed to start: ${describe(error)}`, {
        cause: error,
        hint: 'check the tokenizer directory and that the package is built (npm run build) or run under tsx',
      });
    }
    return chunker;
  }

  /** Chunks one file in a worker. Throws `ChunkError` for this file; `CodeidxError` if the pool is broken or closed. */
  async chunk(file: SourceFile): Promise<Chunk[]> {
    const [result] = await this.run([file]);
    if (result instanceof ChunkError) throw result;
    return result;
  }

  /**
   * Chunks a batch: one task per file, spread over the threads. Resolves to one entry per file, in
   * input order: its chunks, or the `ChunkError` it raised. Rejects only with `CodeidxError`
   * (pool broken or closed), after every task of the batch has settled.
   */
  async chunkMany(files: readonly SourceFile[]): Promise<Array<Chunk[] | ChunkError>> {
    const settled = await Promise.allSettled(files.map((f) => this.run([f])));
    const out: Array<Chunk[] | ChunkError> = [];
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason;
      out.push(s.value[0]);
    }
    return out;
  }

  /** Worker threads currently alive (0 after `close`). */
  get activeThreads(): number {
    return this.pool.threads.length;
  }

  /**
   * Stops accepting files, waits until every file already submitted is chunked (their promises
   * resolve normally), then stops every thread. Idempotent.
   */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.pool.close();
    })();
    return this.closing;
  }

  /** Same as `close` (the name `TreeSitterChunker` uses). */
  dispose(): Promise<void> {
    return this.close();
  }

  /** Runs one task; maps the outcomes back to chunks or `ChunkError`s. */
  private async run(files: readonly SourceFile[]): Promise<Array<Chunk[] | ChunkError>> {
    if (this.closing) {
      throw new CodeidxError('the chunker pool is closed', { hint: 'create a new WorkerPoolChunker' });
    }
    if (this.broken) throw this.broken;
    let result: ChunkTaskResult;
    const task = this.pool.run({ files });
    this.inFlight.add(task);
    try {
      result = await task;
    } catch (error) {
      return this.crashed(files, error);
    } finally {
      this.inFlight.delete(task);
    }
    this.consecutiveCrashes = 0;
    this.started = true;
    for (const w of result.warnings) this.logger?.warn(w.message, w.fields);
    this.stats.parsed += result.stats.parsed;
    this.stats.fallbacks += result.stats.fallbacks;
    this.stats.text += result.stats.text;
    this.stats.exactCounts += result.stats.exactCounts;
    return result.outcomes.map((o, i) => {
      const file = files[i];
      if (o.ok) return o.chunks.map((w, ordinal) => fromWire(file, w, ordinal));
      return new ChunkError(file.path, o.message, o.cause === null ? {} : { cause: new Error(o.cause) });
    });
  }

  /** A task rejected: the worker died (or never started). Per-file error, unless systemic. */
  private crashed(files: readonly SourceFile[], error: unknown): Array<Chunk[] | ChunkError> {
    this.consecutiveCrashes++;
    if (!this.started || this.consecutiveCrashes >= MAX_CONSECUTIVE_CRASHES) {
      this.broken ??= new CodeidxError(
        this.started
          ? `chunker worker threads failed ${this.consecutiveCrashes} times in a row, last: ${describe(error)}`
          : `chunker worker threads failed to start: ${describe(error)}`,
        {
          cause: error,
          hint: 'a worker cannot start or keeps dying; run with threads: 1 or the in-thread TreeSitterChunker to see the error',
        },
      );
      throw this.broken;
    }
    this.logger?.error('chunker: worker thread died; its files are skipped', {
      paths: files.map((f) => f.path),
      error: describe(error),
    });
    return files.map(
      (f) => new ChunkError(f.path, `the chunker worker thread died: ${describe(error)}`, { cause: error }),
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
