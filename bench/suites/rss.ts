/**
 * Benchmark `rss`: peak resident memory of `codeidx index` on the whole real repository, model
 * loaded, as a child process (`/usr/bin/time -v` "Maximum resident set size", or /proc VmHWM).
 *
 * Embedding the whole Go standard library with a MiniLM-size model takes about an hour here, so the
 * run indexes every file into a fresh store (every chunk chunked and written) while the embedding
 * cache is pre-filled with pseudo-random vectors for all chunks except those of an evenly spread
 * subset of files, which the real synthetic MiniLM model embeds. Peak memory of inference depends on
 * batch shape, not on how many batches run; the pipeline holds one batch of files at a time.
 *
 * @module bench/suites/rss
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MAX_BATCH_TOKENS } from '../../src/adapters/onnx/onnx-embedder.js';
import { createChunker, openEmbeddingCache, spaceOf } from '../../src/cli/wiring.js';
import { classifyFile } from '../../src/core/file-filter.js';
import { embeddingCacheKey } from '../../src/core/identity.js';
import type { BenchContext } from '../lib/context.js';
import { table, type SectionResult } from '../lib/report.js';
import { pseudoVector, SeedEmbedder } from '../lib/seed-embedder.js';
import { fmt, fmtMB, fmtMs } from '../lib/stats.js';
import { indexArgs, runIndexCli } from './reindex.js';

/** Target: peak RSS in bytes (600 MB, model included). */
export const RSS_TARGET_BYTES = 600 * 1e6;

/** Runs the benchmark. */
export async function runRss(ctx: BenchContext): Promise<SectionResult> {
  const { quick, log, workDir } = ctx.options;
  const ws = await ctx.workspace();
  // The whole real repository in a full run (indexed in place: the CLI writes only its data dir and
  // cache); the small workspace copy with --quick.
  const treeDir = quick ? ws.dir : ctx.options.goSrc;
  const files = quick ? ws.files : await ctx.corpus();
  // Every `every`-th file (about 40 files, 5 with --quick) is embedded for real.
  const every = Math.max(1, Math.ceil(files.length / (quick ? 5 : 40)));
  const seed = await SeedEmbedder.forModelDir(ctx.minilmDir);
  const space = spaceOf(seed);
  if (!space) throw new Error('the seed embedder has no embedding space');
  const cachePath = join(workDir, 'rss-embeddings.db');
  const dataDir = join(workDir, 'rss-data');
  log(`rss: pre-filling a cache for all chunks but those of every ${every}th file ...`);
  const chunker = createChunker(seed, ctx.logger);
  const cache = await openEmbeddingCache(cachePath, ctx.logger);
  const realFiles = new Set<string>();
  let cachedChunks = 0;
  try {
    for (let i = 0; i < files.length; i++) {
      const path = files[i] ?? '';
      if (i % every === 0) {
        realFiles.add(path);
        continue;
      }
      const verdict = classifyFile(path, readFileSync(join(treeDir, path)));
      if (verdict.kind === 'skip') continue;
      const chunks = await chunker.chunk(verdict.file);
      await cache.putMany(chunks.map((c) => [embeddingCacheKey(space, c.contentHash), pseudoVector(c.embedText, space.dims)] as const));
      cachedChunks += chunks.length;
    }
  } finally {
    await chunker.dispose();
    await cache.close();
  }
  log(`rss: codeidx index of ${files.length} files of ${treeDir} into a fresh store, ~${realFiles.size} files embedded by the model ...`);
  const { run, report } = await runIndexCli(ctx, indexArgs(ctx, ws, [], { dir: treeDir, dataDir, cachePath }));
  const c = report.counts;
  const peak = run.peakRssBytes;
  return {
    id: 'rss',
    title: '6. Peak RSS while indexing the real repository (CLI, model loaded)',
    verdicts: [
      {
        metric: `peak RSS of \`codeidx index\` on ${fmt(c.filesSeen)} files (${fmt(c.chunks)} chunks written, ${fmt(c.embedded)} embedded by MiniLM)`,
        target: `≤ ${fmtMB(RSS_TARGET_BYTES)}`,
        measured: peak === null ? 'n/a' : fmtMB(peak),
        pass: peak === null || quick ? null : peak <= RSS_TARGET_BYTES,
      },
    ],
    body: [
      table(
        ['peak RSS', 'source', 'wall', 'plan / chunk / embed / write', 'files indexed', 'chunks', 'embedded by model', 'from cache'],
        [
          [
            peak === null ? 'n/a' : fmtMB(peak),
            run.rssSource,
            fmtMs(run.wallMs),
            `${fmtMs(report.timings.plan)} / ${fmtMs(report.timings.chunk)} / ${fmtMs(report.timings.embed)} / ${fmtMs(report.timings.write)}`,
            fmt(c.filesIndexed),
            fmt(c.chunks),
            fmt(c.embedded),
            fmt(c.cacheHits + c.storeHits),
          ],
        ],
      ),
    ],
    notes: [
      `What was measured: \`node dist/cli/index.js index ${quick ? `<git copy of ${fmt(files.length)} Go stdlib files>` : treeDir} --model models/synthetic-minilm --device cpu --threads ${ctx.options.threads} --json\` ` +
        `into an empty store: every file listed, hashed, chunked and written (full index of the real repository, model loaded). ` +
        `The embedding cache was pre-filled with pseudo-random vectors (${fmt(cachedChunks)} chunks) for every file except every ${every}th one (${fmt(realFiles.size)} files), ` +
        `whose chunks the synthetic MiniLM model embedded for real (default batch 32, ≤ ${fmt(DEFAULT_MAX_BATCH_TOKENS)} padded tokens per call) — embedding everything takes about an hour here.`,
      'Peak RSS covers the whole process: node, onnxruntime with the model (~90 MB of weights) in the embedding worker thread (its own V8 heap and tokenizer: 519 MB before the model moved there, 2026-12-01), tree-sitter grammars and the chunker\'s tokenizer on the main thread, SQLite page caches (the index run opens its store with `workload: index`: no mmap, 16 MiB page cache), one batch of files being written and one being embedded (`DEFAULT_FILES_PER_BATCH` = 50).',
    ],
  };
}
