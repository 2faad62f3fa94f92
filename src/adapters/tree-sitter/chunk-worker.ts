/**
 * @module adapters/tree-sitter/chunk-worker — the worker-thread side of `WorkerPoolChunker`: one
 * `TreeSitterChunker` per thread (grammars loaded once per thread), built from the pool's
 * `workerData` (a `ChunkWorkerConfig`). Loaded by piscina; not meant to be imported elsewhere
 * except for its types.
 *
 * Every outcome crosses the thread boundary as plain data: a `ChunkError` becomes
 * `{ ok: false, message }` and is rebuilt as a `ChunkError` on the main thread; parse-fallback
 * warnings are buffered and replayed on the main thread's logger.
 */
import { workerData } from 'node:worker_threads';
import { ChunkError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';
import type { Chunk, SourceFile, SymbolKind } from '../../core/types.js';
import { tokenCounterFromSpec, type TokenCounterSpec } from './token-counter-spec.js';
import { TreeSitterChunker, type TreeSitterChunkerStats } from './tree-sitter-chunker.js';

/** Options of the chunker in each worker: `TreeSitterChunkerOptions` with a serializable counter. */
export interface ChunkWorkerConfig {
  readonly tokenCounter: TokenCounterSpec;
  readonly maxTokens?: number;
  readonly minTokens?: number;
  readonly windowLines?: number;
  readonly overlapLines?: number;
  readonly parseTimeoutMs?: number;
  readonly maxParseChars?: number;
}

/** A task: chunk `files` in order; `preload` loads every grammar first (used to start a pool). */
export interface ChunkTask {
  readonly files: readonly SourceFile[];
  readonly preload?: boolean;
}

/** One logger call made by the worker's chunker, replayed on the main thread. */
export interface WorkerLogEntry {
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

/**
 * A chunk as it crosses the thread boundary: a tuple (structured clone copies no repeated keys)
 * without what the main thread already knows (path, language, ordinal) and with `code` given as
 * the offset where it starts in `embedText` (`embedText` = header + code, see `buildChunk`):
 * [symbol, symbolKind, startLine, endLine, embedText, codeOffset, contentHash, scope].
 */
export type WireChunk = readonly [
  symbol: string | null,
  symbolKind: SymbolKind,
  startLine: number,
  endLine: number,
  embedText: string,
  codeOffset: number,
  contentHash: string,
  scope: string | null,
];

/** The outcome of one file: its chunks, or the message of the `ChunkError` it raised. */
export type FileOutcome =
  | {
      readonly ok: true;
      readonly chunks: WireChunk[];
    }
  | {
      readonly ok: false;
      /** `ChunkError` message without the leading "path: ". */
      readonly message: string;
      /** Message of the error's cause, if any. */
      readonly cause: string | null;
    };

/** What a task returns: one outcome per file (same order), the warnings, and the stats delta. */
export interface ChunkTaskResult {
  readonly outcomes: FileOutcome[];
  readonly warnings: WorkerLogEntry[];
  readonly stats: TreeSitterChunkerStats;
}

const warnings: WorkerLogEntry[] = [];

/** Buffers warnings; debug/info are dropped (the chunker emits only warnings). */
const bufferingLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => warnings.push({ message, fields }),
  error: (message, fields) => warnings.push({ message, fields }),
};

let chunker: TreeSitterChunker | null = null;

function chunkerFor(config: ChunkWorkerConfig): TreeSitterChunker {
  chunker ??= new TreeSitterChunker({
    tokenCounter: tokenCounterFromSpec(config.tokenCounter),
    maxTokens: config.maxTokens,
    minTokens: config.minTokens,
    windowLines: config.windowLines,
    overlapLines: config.overlapLines,
    parseTimeoutMs: config.parseTimeoutMs,
    maxParseChars: config.maxParseChars,
    logger: bufferingLogger,
  });
  return chunker;
}

/** Chunk → `WireChunk`. */
export function toWire(c: Chunk): WireChunk {
  return [
    c.symbol,
    c.symbolKind,
    c.startLine,
    c.endLine,
    c.embedText,
    c.embedText.length - c.code.length,
    c.contentHash,
    c.scope,
  ];
}

/** `WireChunk` → the `Chunk` of `file` at `ordinal` (inverse of `toWire`). */
export function fromWire(file: Pick<SourceFile, 'path' | 'language'>, w: WireChunk, ordinal: number): Chunk {
  return {
    path: file.path,
    language: file.language,
    symbol: w[0],
    symbolKind: w[1],
    startLine: w[2],
    endLine: w[3],
    code: w[4].slice(w[5]),
    scope: w[7],
    embedText: w[4],
    contentHash: w[6],
    ordinal,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Chunks the files of one task. Never rejects for a file's content (a `ChunkError` becomes an
 * outcome); rejects only if the chunker cannot be built (bad config, missing tokenizer).
 */
export default async function chunkTask(task: ChunkTask): Promise<ChunkTaskResult> {
  const c = chunkerFor(workerData as ChunkWorkerConfig);
  if (task.preload === true) await c.preload();
  const before = { ...c.stats };
  const outcomes: FileOutcome[] = [];
  for (const file of task.files) {
    try {
      outcomes.push({ ok: true, chunks: (await c.chunk(file)).map(toWire) });
    } catch (error) {
      if (!(error instanceof ChunkError)) throw error;
      const prefix = `${error.path}: `;
      outcomes.push({
        ok: false,
        message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message,
        cause: error.cause === undefined ? null : messageOf(error.cause),
      });
    }
  }
  const stats: TreeSitterChunkerStats = {
    parsed: c.stats.parsed - before.parsed,
    fallbacks: c.stats.fallbacks - before.fallbacks,
    text: c.stats.text - before.text,
    exactCounts: c.stats.exactCounts - before.exactCounts,
  };
  return { outcomes, warnings: warnings.splice(0), stats };
}
