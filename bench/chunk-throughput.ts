/**
 * Chunking throughput: read + parse + chunk + hash, single thread, with the real WordPiece tokenizer
 * as the budget's exact counter.
 *
 * Run: `npx tsx bench/chunk-throughput.ts [dir=/usr/share/go-1.19/src] [maxFiles=3000]`
 * (Go standard library: `apt-get install -y golang-1.19-src`).
 *
 * @module bench/chunk-throughput
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HfTokenizer } from '../src/adapters/tokenizer/hf-tokenizer.js';
import { TreeSitterChunker } from '../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { sha256Hex } from '../src/core/identity.js';
import { detectLanguage } from '../src/core/languages.js';

/** Tokenizer used for the exact counts of the budget. */
export const BENCH_TOKENIZER_DIR = new URL(
  '../../shared/models/bert-base-uncased-tokenizer/',
  import.meta.url,
);

/** Result of one measurement. `seconds` is wall time of read + chunk (grammar loading excluded). */
export interface ChunkThroughput {
  readonly files: number;
  readonly seconds: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly exactCounts: number;
  readonly fallbacks: number;
}

/**
 * Reads and chunks `files` (absolute paths) one after the other with a default `TreeSitterChunker`
 * (maxTokens 256); each file's bytes are hashed like the pipeline does.
 */
export async function measureChunkThroughput(
  files: string[],
  tokenizerDir: string | URL = BENCH_TOKENIZER_DIR,
): Promise<ChunkThroughput> {
  const dir = typeof tokenizerDir === 'string' ? tokenizerDir : tokenizerDir.pathname;
  const chunker = new TreeSitterChunker({ tokenCounter: HfTokenizer.fromDirectory(dir) });
  await chunker.preload();
  const decoder = new TextDecoder('utf-8');
  let chunks = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (const path of files) {
    const raw = readFileSync(path);
    bytes += raw.length;
    const text = decoder.decode(raw);
    const language = detectLanguage(path) ?? 'text';
    chunks += (await chunker.chunk({ path, language, text, fileHash: sha256Hex(raw) })).length;
  }
  const seconds = (performance.now() - t0) / 1000;
  await chunker.dispose();
  return {
    files: files.length,
    seconds,
    chunks,
    bytes,
    exactCounts: chunker.stats.exactCounts,
    fallbacks: chunker.stats.fallbacks,
  };
}

/** Every file under `dir` (sorted, depth-first) whose language is known. */
function listFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, out);
    else if (entry.isFile() && detectLanguage(entry.name) !== null) out.push(full);
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? '/usr/share/go-1.19/src';
  const max = Number(process.argv[3] ?? 3000);
  const files = listFiles(dir).slice(0, max);
  const r = await measureChunkThroughput(files);
  console.log(
    `${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.chunks} chunks in ${r.seconds.toFixed(2)} s: ` +
      `${(r.files / r.seconds).toFixed(0)} files/s, ${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s ` +
      `(exact counts ${r.exactCounts}, fallbacks ${r.fallbacks})`,
  );
}
