/**
 * Benchmark `load`: autocannon against `codeidx serve` (a child process, so its RSS is its own) on
 * loopback, with the harness's store of ≥ 50,000 chunks of the Go standard library (synthetic MiniLM
 * space; the server embeds each query with the synthetic MiniLM model). Two runs of 100 concurrent
 * connections for 30 s each against `GET /v1/search` (default mode, hybrid): a small set of 10
 * questions cycled ("repeated"), then a distinct query on every request ("unique", pairs of
 * identifiers of the corpus). Reports requests/s, p50/p95/p99 latency, errors and the server's RSS.
 *
 * Runs inside the harness (`npm run bench -- --only load`) or standalone (`npx tsx bench/suites/load.ts
 * [harness options]`, which runs the harness with `--only load` so the section lands in BENCHMARKS.md
 * the same way).
 *
 * @module bench/suites/load
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { createChunker, openStore, spaceOf } from '../../src/cli/wiring.js';
import { indexTree } from '../../src/core/index-pipeline.js';
import type { BenchContext } from '../lib/context.js';
import { table, type SectionResult, type Verdict } from '../lib/report.js';
import { SeedEmbedder } from '../lib/seed-embedder.js';
import { fmt, mean, percentile } from '../lib/stats.js';
import { DEVELOPER_QUESTIONS } from './questions.js';

/** Target: p95 latency per request under load, milliseconds. */
export const LOAD_TARGET_P95_MS = 100;
/** Chunks the store must hold in a full run. */
export const LOAD_STORE_MIN_CHUNKS = 50_000;
/** Concurrent connections (full run). */
export const LOAD_CONNECTIONS = 100;
/** Seconds per run (full run). */
export const LOAD_DURATION_S = 30;
/** Per-request timeout, seconds: generous, so a slow answer counts as latency, not as an error. */
export const LOAD_TIMEOUT_S = 120;
/** Distinct questions cycled in the "repeated" run. */
export const REPEATED_QUERIES = 10;

/** One autocannon run, summarized. */
export interface LoadRun {
  readonly label: string;
  readonly requests: number;
  readonly distinctQueries: number;
  readonly rps: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** Server CPU seconds (user + system) during the run. */
  readonly serverCpuS: number;
  readonly rssAfterBytes: number;
  readonly load: readonly number[];
}

/** Identifier-pair queries from the corpus files: `count` distinct strings, deterministic. */
export function uniqueQueries(treeDir: string, files: readonly string[], count: number): string[] {
  const ids = new Set<string>();
  for (const f of files) {
    const text = readFileSync(join(treeDir, f), 'utf8');
    for (const m of text.matchAll(/\bfunc\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w{3,})|\btype\s+([A-Za-z_]\w{3,})/g)) {
      const id = m[1] ?? m[2];
      if (id) ids.add(id);
    }
  }
  const list = [...ids].sort();
  if (list.length < 2) throw new Error(`load: too few identifiers in ${treeDir} to build unique queries`);
  const out = new Set<string>();
  // Pairs (i, i*7+k) walk the list without repeating; a stride keeps neighbours (same file) apart.
  for (let k = 1; out.size < count && k < list.length; k++) {
    for (let i = 0; i < list.length && out.size < count; i++) {
      out.add(`${list[i]} ${list[(i * 7 + k) % list.length]}`);
    }
  }
  return [...out];
}

function readProc(pid: number): { rss: number; hwm: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks (man 5 proc); after the
  // command name, which may hold spaces, so split after the last ")".
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const clk = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpuS: ticks / clk };
}

function loadAvg(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

async function startServer(repoRoot: string, env: Record<string, string>, log: (l: string) => void): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'index.ts'), 'serve'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`codeidx serve did not start in 120 s:\n${stderr}`)), 120_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`codeidx serve exited with ${code} before listening:\n${stderr}`));
    });
  });
  log(`load: codeidx serve (pid ${child.pid}) at ${url}`);
  return { child, url };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function cannon(options: {
  url: string;
  label: string;
  queries: readonly string[];
  connections: number;
  duration: number;
  pid: number;
}): Promise<LoadRun> {
  let next = 0;
  const used = new Set<string>();
  const latencies: number[] = [];
  const load = loadAvg();
  const before = readProc(options.pid);
  const result = await new Promise<autocannon.Result>((resolveRun, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.duration,
        timeout: LOAD_TIMEOUT_S,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const q = options.queries[next++ % options.queries.length] ?? '';
              used.add(q);
              return { ...req, path: `/v1/search?q=${encodeURIComponent(q)}&k=10` };
            },
          },
        ],
      },
      (error, res) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolveRun(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const after = readProc(options.pid);
  return {
    label: options.label,
    requests: latencies.length,
    distinctQueries: used.size,
    rps: latencies.length / (result.duration || options.duration),
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    max: Math.max(...latencies),
    mean: mean(latencies),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    serverCpuS: after.cpuS - before.cpuS,
    rssAfterBytes: after.rss,
    load,
  };
}

/** Runs the benchmark. */
export async function runLoad(ctx: BenchContext): Promise<SectionResult> {
  const { quick, log, repoRoot } = ctx.options;
  const ws = await ctx.workspace();
  const minChunks = quick ? 0 : LOAD_STORE_MIN_CHUNKS;
  const connections = quick ? 10 : LOAD_CONNECTIONS;
  const duration = quick ? 5 : LOAD_DURATION_S;

  // Grow the store to ≥ 50,000 chunks with more refs of the same tree, as the query benchmark does
  // (same ref names, so a run of both grows it once).
  const seed = await SeedEmbedder.forModelDir(ctx.minilmDir);
  let points = 0;
  let extraRefs = 0;
  {
    const store = await openStore(ws.storePath, spaceOf(seed), ctx.logger);
    try {
      while ((points = await store.count()) < minChunks && extraRefs < 10) {
        extraRefs++;
        log(`load: store holds ${points} chunks; adding ref release-${extraRefs} ...`);
        const reader = await openSourceReader(ws.dir);
        await indexTree(
          { reader, chunker: createChunker(seed, ctx.logger), embedder: seed, cache: null, store, logger: ctx.logger },
          { scope: { repo: ws.scope.repo, ref: `refs/heads/release-${extraRefs}` }, commit: await reader.headCommit(), planSource: 'scan' },
        );
      }
      points = await store.count();
    } finally {
      await store.close();
    }
  }

  const repeated = DEVELOPER_QUESTIONS.slice(0, REPEATED_QUERIES);
  const unique = uniqueQueries(ws.dir, ws.files, 50_000).filter((q) => !repeated.includes(q));
  log(`load: ${fmt(points)} chunks; ${unique.length} unique queries ready; starting codeidx serve ...`);

  /** One server (response cache on or off): warm-up, then the repeated and the unique run. */
  interface ServerRuns {
    readonly cache: boolean;
    readonly runs: LoadRun[];
    readonly pid: number;
    readonly idle: ReturnType<typeof readProc>;
    readonly final: ReturnType<typeof readProc>;
  }
  const serve = async (cache: boolean): Promise<ServerRuns> => {
    const { child, url } = await startServer(
      repoRoot,
      {
        CODEIDX_STORE: ws.storePath,
        CODEIDX_MODEL: ctx.minilmDir,
        CODEIDX_DEVICE: 'cpu',
        CODEIDX_PUBLIC_REPOS: '*/*',
        CODEIDX_RATE_LIMIT: '9999999',
        CODEIDX_RESPONSE_CACHE: cache ? '1000' : '0',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
      log,
    );
    const pid = child.pid ?? 0;
    const runs: LoadRun[] = [];
    try {
      // Warm-up outside the measured sets: statements, page cache, first inference.
      for (const q of ['benchmark warm-up query', 'another warm-up question']) {
        const res = await fetch(`${url}/v1/search?q=${encodeURIComponent(q)}&k=10`);
        if (!res.ok) throw new Error(`load: warm-up request answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
      const idle = readProc(pid);
      for (const [kind, queries] of [
        ['repeated', repeated],
        ['unique', unique],
      ] as const) {
        const label = `${kind}, response cache ${cache ? 'on' : 'off'}`;
        log(`load: ${label}: ${connections} connections for ${duration} s (load ${loadAvg().join(' ')}) ...`);
        const run = await cannon({ url, label, queries, connections, duration, pid });
        runs.push(run);
        log(
          `load: ${label}: ${run.requests} requests, ${fmt(run.rps, 1)} req/s, p50 ${fmt(run.p50)} ms, p95 ${fmt(run.p95)} ms, ` +
            `p99 ${fmt(run.p99)} ms, errors ${run.errors}, timeouts ${run.timeouts}, non-2xx ${run.non2xx}`,
        );
      }
      return { cache, runs, pid, idle, final: readProc(pid) };
    } finally {
      await stopServer(child);
    }
  };
  // The shipped configuration (cache on) is rated; the cache-off server is for comparison.
  const servers = [await serve(true), await serve(false)];
  const runs = servers.flatMap((s) => s.runs);

  const verdicts: Verdict[] = [];
  const rated = quick || points < LOAD_STORE_MIN_CHUNKS ? null : true;
  for (const r of runs) {
    const shipped = r.label.endsWith('cache on');
    const bad = r.errors + r.timeouts + r.non2xx;
    verdicts.push({
      metric: `${r.label}: errors (${connections} connections, ${duration} s, ${fmt(points)} chunks)`,
      target: '0',
      measured: `${bad} (${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx) of ${fmt(r.requests)} requests`,
      pass: rated && bad === 0,
    });
    verdicts.push({
      metric: `${r.label}: p95 latency under load`,
      target: shipped ? `≤ ${LOAD_TARGET_P95_MS} ms` : `report (≤ ${LOAD_TARGET_P95_MS} ms applies to the shipped default, cache on)`,
      measured: `${fmt(r.p95)} ms (p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms; ${fmt(r.rps, 1)} req/s)`,
      pass: shipped ? rated && r.p95 <= LOAD_TARGET_P95_MS : null,
    });
  }
  for (const s of servers) {
    verdicts.push({
      metric: `server RSS after its two runs, response cache ${s.cache ? 'on' : 'off'} (VmRSS; peak VmHWM)`,
      target: 'report',
      measured: `${fmt(s.final.rss / 2 ** 20)} MB (peak ${fmt(s.final.hwm / 2 ** 20)} MB)`,
      pass: null,
    });
  }

  const rows = runs.map((r) => [
    r.label,
    fmt(r.requests),
    fmt(r.distinctQueries),
    fmt(r.rps, 1),
    fmt(r.p50),
    fmt(r.p95),
    fmt(r.p99),
    fmt(r.max),
    fmt(r.mean),
    String(r.errors + r.timeouts + r.non2xx),
    fmt((r.serverCpuS * 1000) / Math.max(1, r.requests), 1),
    fmt(r.rssAfterBytes / 2 ** 20),
    r.load.join(' / '),
  ]);
  return {
    id: 'load',
    title: '7. Load: autocannon against `codeidx serve` (100 connections, 30 s)',
    verdicts,
    body: [
      table(
        ['queries', 'requests', 'distinct q sent', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'mean ms', 'errors', 'server CPU ms/req', 'server RSS MB after', 'load at start'],
        rows,
      ),
      ...servers.map(
        (sv) =>
          `Server RSS, response cache ${sv.cache ? 'on' : 'off'}: ${fmt(sv.idle.rss / 2 ** 20)} MB after warm-up, ${fmt(sv.final.rss / 2 ** 20)} MB after its two runs, peak ${fmt(sv.final.hwm / 2 ** 20)} MB (VmRSS and VmHWM of /proc/${sv.pid}/status).`,
      ),
    ],
    notes: [
      `Server: \`node --import tsx src/cli/index.ts serve\` as a child process, CODEIDX_STORE = the benchmark workspace's store (${fmt(points)} chunks of the Go standard library` +
        (extraRefs > 0 ? `, ${extraRefs + 1} refs of the same tree` : '') +
        `; real chunk text for BM25, pseudo-random vectors), CODEIDX_MODEL = the synthetic MiniLM model (queries embedded by it, onnxruntime on CPU), CODEIDX_PUBLIC_REPOS='*/*' (anonymous, reads all: one store query per request), LOG_LEVEL=silent, CODEIDX_RATE_LIMIT=9999999 (the default 120/min per client would answer 429 to nearly everything). Two servers one after the other: CODEIDX_RESPONSE_CACHE=1000 (the default: src/search-api/response-cache.ts, keyed by principal + query + filters + mode + k, emptied when the index states change, checked at most once per second), then CODEIDX_RESPONSE_CACHE=0 for comparison. SearchService's query-embedding LRU is on in both.`,
      `Requests: \`GET /v1/search?q=…&k=10\`, default mode (hybrid). Repeated = the first ${REPEATED_QUERIES} developer questions of bench/suites/questions.ts, cycled. Unique = a distinct "identifier identifier" query per request, from func/type names of the corpus (${fmt(unique.length)} prepared). Two warm-up requests outside both sets per server; repeated runs first. The unique run sends queries never sent before to that server, so the response cache cannot help it (it measures the cache's overhead).`,
      `autocannon ${connections} connections, ${duration} s, no pipelining, timeout ${LOAD_TIMEOUT_S} s (a slow answer counts as latency, not as an error). Latency percentiles are computed from every response's time (autocannon's 'response' event), since autocannon's histogram has no p95.`,
      'The load generator (this process) runs on the same 2 cores as the server and whatever else the machine is doing (see load averages): latency includes queueing behind the single-threaded server, so under a closed loop of N connections, p50 ≈ N ÷ throughput.',
    ],
  };
}

// Standalone: run the harness with --only load (plus any options given), so the section is written the same way.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), '--only', 'load', ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exitCode = child.status ?? 1;
}
