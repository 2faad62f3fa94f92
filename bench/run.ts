/**
 * The benchmark harness: `npm run bench [-- options]`. Runs the selected benchmarks one after the
 * other in this process (child processes for the CLI ones) and writes BENCHMARKS.md — machine facts,
 * the exact command, a table per benchmark with its target and PASS/MISS, and notes. Nothing is
 * hard-coded: every figure in the file comes from this run or from an earlier run's section that
 * `--only` left in place.
 *
 * Options:
 *   --only <ids>      comma-separated subset of: chunk, embed, reindex, incremental, query, rss, action, load, quality
 *   --quick           small inputs (smoke run); writes bench/.work/BENCHMARKS.quick.md unless --out
 *   --out <file>      output file (default BENCHMARKS.md, or the quick file with --quick)
 *   --go-src <dir>    the real repository (default /usr/share/go-1.19/src)
 *   --threads <n>     onnxruntime intra-op threads for every embedder (default: all cores)
 *   --full-pass       also time a warm `codeidx index --full` (re-chunk everything) in `reindex`
 *   --build           rebuild dist/ for the CLI benchmarks even when it looks fresh
 *   --keep            keep the scratch folder (bench/.work/run-*)
 *
 * Exit code 1 when a benchmark failed to run (its section says why); MISSes do not change the exit code.
 *
 * @module bench/run
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuilt } from './lib/cli-process.js';
import { BenchContext } from './lib/context.js';
import { DEFAULT_GO_SRC } from './lib/go-corpus.js';
import { loadAverage, machineFacts } from './lib/machine.js';
import { readNotes, readSections, renderDocument, renderSection, type SectionResult } from './lib/report.js';
import { runAction } from './suites/action.js';
import { runChunk } from './suites/chunk.js';
import { runEmbed } from './suites/embed.js';
import { runIncremental } from './suites/incremental.js';
import { runLoad } from './suites/load.js';
import { runQuality } from './suites/quality.js';
import { runQuery } from './suites/query.js';
import { runReindex } from './suites/reindex.js';
import { runRss } from './suites/rss.js';

/** Benchmark ids, in run and document order. */
export const BENCHMARKS = ['chunk', 'embed', 'reindex', 'incremental', 'query', 'rss', 'load', 'action', 'quality'] as const;
/** One benchmark id. */
export type BenchId = (typeof BENCHMARKS)[number];

const RUNNERS: Record<BenchId, { title: string; run: (ctx: BenchContext) => Promise<SectionResult>; usesCli: boolean }> = {
  chunk: { title: '1. Scan + parse + chunk + hash (no embedding)', run: runChunk, usesCli: false },
  embed: { title: '2. Embedding throughput (synthetic MiniLM) vs transformers.js', run: runEmbed, usesCli: false },
  reindex: { title: '3. Re-index of an unchanged tree, warm cache (CLI, end to end)', run: runReindex, usesCli: true },
  incremental: { title: '4. Incremental update after changing 100 files (git repository)', run: runIncremental, usesCli: true },
  query: { title: '5. Query latency (SearchService, query embedding included)', run: runQuery, usesCli: false },
  rss: { title: '6. Peak RSS while indexing the real repository (CLI, model loaded)', run: runRss, usesCli: true },
  action: { title: '8. GitHub Action end to end (dist/action/index.js, embedded store)', run: runAction, usesCli: true },
  load: { title: '7. Load: autocannon against `codeidx serve` (100 connections, 30 s)', run: runLoad, usesCli: false },
  quality: { title: '9. Retrieval quality and throughput of the built-in model (codeidx eval)', run: runQuality, usesCli: false },
};

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseOnly(value: string | undefined): BenchId[] {
  if (value === undefined) return [...BENCHMARKS];
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !(BENCHMARKS as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new Error(`--only: unknown benchmark(s) ${unknown.join(', ') || '(none given)'}; choose from ${BENCHMARKS.join(', ')}`);
  }
  return BENCHMARKS.filter((id) => ids.includes(id));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'go-src': { type: 'string', default: DEFAULT_GO_SRC },
      threads: { type: 'string' },
      build: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'full-pass': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const selected = parseOnly(values.only);
  const quick = values.quick === true;
  const threads = values.threads === undefined ? availableParallelism() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer, got ${values.threads}`);
  const out = resolve(values.out ?? (quick ? join(REPO_ROOT, 'bench', '.work', 'BENCHMARKS.quick.md') : join(REPO_ROOT, 'BENCHMARKS.md')));
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  const facts = machineFacts(REPO_ROOT);
  log(`${command}: ${selected.join(', ')} on ${facts.nproc} cores (${facts.cpuModel}), load ${facts.loadAtStart.join(' ')}, threads ${threads}`);

  const workDir = join(REPO_ROOT, 'bench', '.work', `run-${facts.date.replace(/[:.]/g, '-')}`);
  mkdirSync(workDir, { recursive: true });
  const ctx = new BenchContext({ quick, goSrc: resolve(values['go-src'] ?? DEFAULT_GO_SRC), threads, workDir, repoRoot: REPO_ROOT, log, fullPass: values['full-pass'] === true });
  const sections = readSections(out);
  const notes = readNotes(out);
  let buildNote: string | null = null;
  let failed = false;
  try {
    if (selected.some((id) => RUNNERS[id].usesCli)) buildNote = ensureBuilt(REPO_ROOT, values.build === true, log);
    for (const id of selected) {
      const load = loadAverage();
      const date = new Date().toISOString();
      const t0 = performance.now();
      log(`=== ${id} (load ${load.join(' ')}) ===`);
      let result: SectionResult;
      try {
        result = await RUNNERS[id].run(ctx);
      } catch (error) {
        failed = true;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`${id} FAILED: ${message}`);
        result = {
          id,
          title: RUNNERS[id].title,
          verdicts: [{ metric: 'benchmark ran', target: 'yes', measured: 'failed (see below)', pass: false }],
          body: ['```', message.slice(0, 4000), '```'],
          notes: [],
        };
      }
      const seconds = (performance.now() - t0) / 1000;
      sections.set(id, renderSection(result, { command, date, load, seconds, quick }));
      // Written after every benchmark, so a long run interrupted later keeps what it measured.
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, renderDocument({ facts, command, order: BENCHMARKS, sections, notes, buildNote }));
      log(`${id} done in ${seconds.toFixed(0)} s → ${out}`);
    }
  } finally {
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
