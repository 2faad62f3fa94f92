/**
 * Benchmark `incremental`: update after 100 changed files in a git repository (a function appended
 * to each of 100 Go files, committed), split into the pipeline's phases plan / chunk / embed /
 * write. Measured twice, side by side on the same workspace:
 * - in-process `indexTree` with `planSource: 'diff'` (git diff from the last complete commit, as the
 *   GitHub Action plans), real synthetic MiniLM embedder;
 * - the CLI as a child process (`codeidx index`, plans by content hash), on another 100 files.
 *
 * @module bench/suites/incremental
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { createChunker, openEmbedder, openEmbeddingCache, openStore, spaceOf } from '../../src/cli/wiring.js';
import { indexTree, type IndexReport } from '../../src/core/index-pipeline.js';
import type { BenchContext, Workspace } from '../lib/context.js';
import { git, spread } from '../lib/go-corpus.js';
import { table, type SectionResult } from '../lib/report.js';
import { fmt, fmtMs } from '../lib/stats.js';
import { indexArgs, runIndexCli, type CliIndexReport } from './reindex.js';

/** Appends one small Go function to each file and commits; returns the new head commit. */
function changeFiles(ws: Workspace, paths: readonly string[], round: number): string {
  paths.forEach((p, i) => {
    const n = round * 1000 + i;
    appendFileSync(
      join(ws.dir, p),
      `\n// codeidxBenchAdded${n} is appended by the codeidx incremental benchmark.\n` +
        `func codeidxBenchAdded${n}(values []int) (sum int) {\n\tfor _, v := range values {\n\t\tsum += v * ${n}\n\t}\n\treturn sum\n}\n`,
    );
  });
  git(ws.dir, ['add', '-A']);
  git(ws.dir, ['commit', '-q', '-m', `benchmark: change ${paths.length} files (round ${round})`]);
  return git(ws.dir, ['rev-parse', 'HEAD']).trim();
}

function phaseRow(name: string, wallMs: number, report: CliIndexReport): string[] {
  const t = report.timings;
  const c = report.counts;
  return [
    name,
    report.plannedBy,
    fmtMs(t.plan),
    fmtMs(t.chunk),
    fmtMs(t.embed),
    fmtMs(t.write),
    fmtMs(report.durationMs),
    fmtMs(wallMs),
    `${fmt(c.filesIndexed)} files, ${fmt(c.chunks)} chunks`,
    `${fmt(c.embedded)} embedded, ${fmt(c.cacheHits + c.storeHits)} reused`,
  ];
}

/** Runs the benchmark. */
export async function runIncremental(ctx: BenchContext): Promise<SectionResult> {
  const { threads, log } = ctx.options;
  const ws = await ctx.workspace();
  const goFiles = ws.files.filter((p) => p.endsWith('.go'));
  const perRound = Math.min(100, Math.floor(goFiles.length / 2));
  const picked = spread(goFiles, perRound * 2);
  const roundA = picked.filter((_, i) => i % 2 === 0);
  const roundB = picked.filter((_, i) => i % 2 === 1);

  // In-process, planned by git diff.
  log(`incremental: changing ${roundA.length} files, indexing in-process (diff planning) ...`);
  const head = changeFiles(ws, roundA, 1);
  const tLoad = performance.now();
  const embedder = await openEmbedder({ model: ctx.minilmDir, explicit: true, device: 'cpu', threads, logger: ctx.logger });
  const loadMs = performance.now() - tLoad;
  const store = await openStore(ws.storePath, spaceOf(embedder), ctx.logger);
  const cache = await openEmbeddingCache(ws.cachePath, ctx.logger);
  let inProcess: IndexReport;
  let inProcessWall: number;
  try {
    const t0 = performance.now();
    const reader = await openSourceReader(ws.dir);
    inProcess = await indexTree(
      { reader, chunker: createChunker(embedder, ctx.logger), embedder, cache, store, logger: ctx.logger },
      { scope: ws.scope, commit: head, planSource: 'diff' },
    );
    inProcessWall = performance.now() - t0;
  } finally {
    await cache.close();
    await store.close();
    await embedder?.close();
  }

  // CLI child process, planned by content hash.
  log(`incremental: changing ${roundB.length} other files, indexing with the CLI (scan planning) ...`);
  changeFiles(ws, roundB, 2);
  const cli = await runIndexCli(ctx, indexArgs(ctx, ws));

  const t = inProcess.timings;
  return {
    id: 'incremental',
    title: `4. Incremental update after changing ${roundA.length} files (git repository)`,
    verdicts: [
      {
        metric: `in-process, diff planning: plan / chunk / embed / write for ${roundA.length} changed files`,
        target: '— (split reported)',
        measured: `${fmtMs(t.plan)} / ${fmtMs(t.chunk)} / ${fmtMs(t.embed)} / ${fmtMs(t.write)} = ${fmtMs(inProcess.durationMs)}`,
        pass: null,
      },
      {
        metric: `CLI process, scan planning: end to end for ${roundB.length} changed files`,
        target: '—',
        measured: fmtMs(cli.run.wallMs),
        pass: null,
      },
    ],
    body: [
      table(
        ['run', 'planned by', 'plan', 'chunk', 'embed', 'write', 'pipeline total', 'wall', 'indexed', 'vectors'],
        [
          phaseRow(`in-process indexTree (model loaded beforehand in ${fmtMs(loadMs)})`, inProcessWall, inProcess),
          phaseRow('CLI `codeidx index` (wall includes process start and model load)', cli.run.wallMs, cli.report),
        ],
      ),
    ],
    notes: [
      `Workspace: the git copy of ${fmt(ws.files.length)} Go standard library files indexed as in benchmark 3 (seeded store and cache, synthetic MiniLM space). ` +
        `Each changed file gets one appended 7-line Go function, then \`git commit\`; the two runs change different files (evenly spread over the tree).`,
      `The new chunks are embedded for real by the synthetic MiniLM model (${threads} intra-op threads); the other chunks of the changed files come from the cache or store by content hash.`,
      'plan = state read + listing + diff (or hashing every file for the scan); chunk = read + classify + tree-sitter; embed = cache/store look-ups + inference (in-process row), or + the wait for the CLI\'s embedding worker thread, which embeds one batch while the next is chunked (CLI row); write = upserts + stale deletes + drops.',
    ],
  };
}
