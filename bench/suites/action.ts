/**
 * Benchmark `action`: the GitHub Action through its real entry point, `node dist/action/index.js`
 * (what action.yml's "Index" step runs), one child process per workflow run, driven like the runner
 * drives it: an event payload at GITHUB_EVENT_PATH, INPUT_* variables, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, a fresh RUNNER_TEMP. The action runs from an installed copy (its
 * dist/action, models/ and a node_modules/ of links to this checkout's packages) in which
 * `@actions/cache` is a folder-backed fake with the real service's key matching, so the
 * embedding cache really is restored into RUNNER_TEMP and saved after every run — local disk, not
 * the network. The store is the embedded SQLite one (Qdrant only with QDRANT_URL set).
 *
 * Measured:
 * 1. incremental push after 100 files change: (a) `git mv` of 100 files (same content, new paths),
 *    (b) new content in 100 other files; pipeline phases from the job summary, steps from the log;
 *    plus the cost per embedded text of a MiniLM-size model, to say what (a)/(b) would cost with it;
 * 2. scheduled full re-index (scan by content hash) of an unchanged ≥ 10,000-file repository with
 *    a warm cache (Go standard library + Python standard library + Debian's Python packages);
 * 3. set-up parts measurable here: `npm ci` of a fresh clone from a warm and an empty npm cache,
 *    `npm run build`, model load.
 *
 * Standalone: `npx tsx bench/suites/action.ts [--quick] [--keep]` writes the same section into
 * BENCHMARKS.md (or bench/.work/BENCHMARKS.quick.md with --quick).
 *
 * @module bench/suites/action
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openEmbedder } from '../../src/cli/wiring.js';
import { ensureBuilt } from '../lib/cli-process.js';
import { BenchContext } from '../lib/context.js';
import { DEFAULT_GO_SRC, git, spread } from '../lib/go-corpus.js';
import { loadAverage, machineFacts } from '../lib/machine.js';
import { readNotes, readSections, renderDocument, renderSection, table, type SectionResult } from '../lib/report.js';
import { fmt, fmtMB, fmtMs, median } from '../lib/stats.js';

/** Targets of issue 4 for the action, milliseconds. */
export const ACTION_TARGETS = {
  incrementalRename: 2000,
  fullReindex: 20000,
  setupFirst: 60000,
  setupCached: 15000,
} as const;

/** Files in the re-index repository (full run). */
export const REINDEX_REPO_FILES = 10000;

/** Rename pushes measured for (a), alternating there and back; the verdict takes their median. */
export const RENAME_REPEATS = 3;

const ZERO = '0'.repeat(40);
const REPO = 'bench/monorepo';
const REF = 'refs/heads/main';
const PYTHON_STDLIB = '/usr/lib/python3.11';
const PYTHON_PACKAGES = '/usr/lib/python3/dist-packages';

// ---- the fake @actions/cache, and the installed action that uses it -------------------------------

const FAKE_CACHE_JS = `// Folder-backed stand-in for @actions/cache (codeidx benchmark). Entries: <dir>/<n>/{key,0,1,...}.
import fs from 'node:fs';
import path from 'node:path';
const dir = process.env.CODEIDX_BENCH_FAKE_CACHE;
function entries() {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map(Number).filter(Number.isInteger).sort((a, b) => a - b)
    .map((n) => ({ dir: path.join(dir, String(n)), key: fs.readFileSync(path.join(dir, String(n), 'key'), 'utf8') }));
}
export function isFeatureAvailable() { return true; }
export async function restoreCache(paths, key, restoreKeys = [], options = {}) {
  const newest = entries().reverse();
  const hit = newest.find((e) => e.key === key) ?? restoreKeys.map((p) => newest.find((e) => e.key.startsWith(p))).find(Boolean);
  if (!hit) return undefined;
  if (options.lookupOnly) return hit.key;
  paths.forEach((p, i) => {
    const src = path.join(hit.dir, String(i));
    if (!fs.existsSync(src)) return;
    fs.rmSync(p, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.cpSync(src, p, { recursive: true });
  });
  return hit.key;
}
export async function saveCache(paths, key) {
  const all = entries();
  if (all.some((e) => e.key === key)) throw new Error('Unable to reserve cache with key ' + key);
  const n = all.length === 0 ? 0 : Number(path.basename(all[all.length - 1].dir)) + 1;
  const target = path.join(dir, String(n));
  fs.mkdirSync(target, { recursive: true });
  paths.forEach((p, i) => { if (fs.existsSync(p)) fs.cpSync(p, path.join(target, String(i)), { recursive: true }); });
  fs.writeFileSync(path.join(target, 'key'), key);
  return n + 1;
}
`;

/**
 * Installs the action as a runner would find it, at `dir`: a copy of dist/action (the bundle and its
 * worker), models/ linked, and a node_modules/ whose entries link to this checkout's packages — except
 * `@actions/cache`, which is the fake. No loader hook is needed, so the child process starts as the
 * runner's `node dist/action/index.js` does (a `--import` resolve hook cost ~0.1 s of start-up).
 * Returns the entry file.
 */
export function installActionCopy(repoRoot: string, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  cpSync(join(repoRoot, 'dist', 'action'), join(dir, 'dist', 'action'), { recursive: true });
  symlinkSync(join(repoRoot, 'models'), join(dir, 'models'));
  symlinkSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  const modules = join(repoRoot, 'node_modules');
  mkdirSync(join(dir, 'node_modules', '@actions'), { recursive: true });
  for (const name of readdirSync(modules)) {
    if (name !== '@actions') symlinkSync(join(modules, name), join(dir, 'node_modules', name));
  }
  for (const name of readdirSync(join(modules, '@actions'))) {
    if (name !== 'cache')
      symlinkSync(join(modules, '@actions', name), join(dir, 'node_modules', '@actions', name));
  }
  const fake = join(dir, 'node_modules', '@actions', 'cache');
  mkdirSync(fake, { recursive: true });
  writeFileSync(
    join(fake, 'package.json'),
    JSON.stringify({ name: '@actions/cache', type: 'module', exports: './index.mjs' }),
  );
  writeFileSync(join(fake, 'index.mjs'), FAKE_CACHE_JS);
  return join(dir, 'dist', 'action', 'index.js');
}

// ---- one workflow run ----------------------------------------------------------------------------

/** Pipeline phases and counts read back from the job summary (0.01 s resolution). */
interface SummaryFigures {
  readonly totalMs: number;
  readonly plan: number;
  readonly chunk: number;
  readonly embed: number;
  readonly write: number;
  readonly plannedBy: string;
  readonly filesSeen: number;
  readonly filesIndexed: number;
  /** Of `filesIndexed`, renamed files whose chunks were rebuilt from the store (not chunked). */
  readonly filesReused: number;
  readonly filesUnchanged: number;
  readonly chunks: number;
  readonly embedded: number;
  readonly hits: string;
}

/** One action run. */
interface ActionRun {
  readonly label: string;
  readonly wallMs: number;
  readonly outputs: Record<string, string>;
  readonly summary: SummaryFigures;
  /** Wall-clock segments between log markers, in order. */
  readonly steps: Array<[string, number]>;
}

function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(ghadelimiter_[^\n]+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1] ?? ''] = m[3] ?? '';
  return out;
}

function cell(summary: string, name: string): string {
  const m = new RegExp(`<td>${name}</td><td>([^<]*)</td>`).exec(summary);
  if (!m?.[1]) throw new Error(`the job summary has no "${name}" row:\n${summary.slice(0, 2000)}`);
  return m[1];
}

function parseSummary(summary: string): SummaryFigures {
  const duration = cell(summary, 'Duration');
  const m = /^([\d.]+) s \(plan ([\d.]+) s, chunk ([\d.]+) s, embed ([\d.]+) s, write ([\d.]+) s\)/.exec(
    duration,
  );
  if (!m) throw new Error(`unexpected Duration row: ${duration}`);
  const s = (i: number): number => Number(m[i]) * 1000;
  return {
    totalMs: s(1),
    plan: s(2),
    chunk: s(3),
    embed: s(4),
    write: s(5),
    plannedBy: cell(summary, 'Plan').split(' ')[0] ?? '?',
    filesSeen: Number(cell(summary, 'Files seen')),
    filesIndexed: Number(cell(summary, 'Files indexed')),
    // Absent from the job summaries of builds before it existed (side-by-side runs of older commits).
    filesReused: /<td>Renamed files rebuilt from the store<\/td>/.test(summary)
      ? Number(cell(summary, 'Renamed files rebuilt from the store'))
      : 0,
    filesUnchanged: Number(cell(summary, 'Files unchanged')),
    chunks: Number(cell(summary, 'Chunks written')),
    embedded: Number(cell(summary, 'Chunks embedded')),
    hits: cell(summary, 'Cache hits'),
  };
}

/** Names a log line that starts a step, or null. */
function stepMarker(line: string): string | null {
  if (line.startsWith('::group::Load the embedding model')) return 'model load';
  if (line.startsWith('::group::Open the store')) return 'store open';
  if (line.startsWith('embedding cache: ')) return 'cache restore'; // ends the restore; the next marker closes it
  if (line.startsWith('::group::Index ')) return 'index (pipeline)';
  if (line.startsWith('::group::Report')) return 'report';
  return null;
}

/**
 * Segments: start → first log line = "node start + imports"; then each marker opens a segment that the
 * next one closes. Restore is timed from the end of "Open the store" (or, when `cache-restore: lazy`
 * decides to restore mid-run, from its "restoring it now" line) to the restore's log line, and the
 * cache close + save from the end of the Index group to the Report group.
 */
function segments(events: Array<[string, number]>, wallMs: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const first = events[0]?.[1] ?? wallMs;
  out.push(['start + imports', first]);
  let restoreLine: number | null = null;
  let indexEnd: number | null = null;
  let open: [string, number] | null = null;
  for (const [line, t] of events) {
    if (line === '::endgroup::' && open) {
      out.push([open[0], t - open[1]]);
      if (open[0] === 'index (pipeline)') indexEnd = t;
      if (open[0] === 'store open') restoreLine = t;
      open = null;
      continue;
    }
    const name = stepMarker(line);
    // An eager restore happens between the store's opening and the Index group; once the pipeline
    // runs, only a lazy restore counts, from its "restoring it now" line (its time is then also part
    // of the pipeline's); the lazy look-up's "no cache entry" line is not a restore.
    if (name === 'index (pipeline)') restoreLine = null;
    if (line.startsWith('embedding cache: ') && line.endsWith('restoring it now')) restoreLine = t;
    if (
      name === 'cache restore' &&
      restoreLine !== null &&
      (line.includes('restored from cache key') || line.includes('no cache entry for'))
    ) {
      out.push(['cache restore', t - restoreLine]);
      restoreLine = null;
    } else if (name === 'report' && indexEnd !== null) {
      out.push(['cache close + save', t - indexEnd]);
      open = [name, t];
    } else if (name !== null && name !== 'cache restore') {
      open = [name, t];
    }
  }
  const last = events.at(-1)?.[1] ?? wallMs;
  out.push(['exit', wallMs - last]);
  return out;
}

interface RunSpec {
  readonly label: string;
  readonly event: 'push' | 'schedule' | 'workflow_dispatch';
  readonly payload: Record<string, unknown>;
  readonly sha: string;
  readonly inputs?: Record<string, string>;
}

/** Environment of the runs (shared paths). */
interface ActionEnv {
  readonly repoRoot: string;
  readonly workspace: string;
  readonly scratch: string;
  /** The installed action's entry (see `installActionCopy`). */
  readonly entry: string;
  readonly fakeCacheDir: string;
  readonly storePath: string;
  readonly qdrantUrl: string | null;
  readonly log: (line: string) => void;
  runs: number;
}

async function runActionProcess(env: ActionEnv, spec: RunSpec): Promise<ActionRun> {
  env.runs++;
  const dir = join(env.scratch, `run-${env.runs}`);
  mkdirSync(dir, { recursive: true });
  const eventPath = join(dir, 'event.json');
  const outputPath = join(dir, 'output');
  const summaryPath = join(dir, 'summary.md');
  writeFileSync(eventPath, JSON.stringify(spec.payload));
  writeFileSync(outputPath, '');
  writeFileSync(summaryPath, '');
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('INPUT_') && !k.startsWith('GITHUB_') && !k.startsWith('ACTIONS_')) base[k] = v;
  const inputs: Record<string, string> = {
    'store-path': env.storePath,
    ...(env.qdrantUrl ? { 'qdrant-url': env.qdrantUrl, collection: 'codeidx_bench_action' } : {}),
    ...spec.inputs,
  };
  const childEnv: NodeJS.ProcessEnv = {
    ...base,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: spec.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_REPOSITORY: REPO,
    GITHUB_WORKSPACE: env.workspace,
    GITHUB_RUN_ID: String(5000 + env.runs),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: spec.sha,
    GITHUB_REF: REF,
    RUNNER_TEMP: join(dir, 'runner-temp'),
    HF_ENDPOINT: 'http://127.0.0.1:9',
    CODEIDX_MODEL_CACHE: join(env.scratch, 'model-cache'),
    CODEIDX_BENCH_FAKE_CACHE: env.fakeCacheDir,
  };
  for (const [name, value] of Object.entries(inputs)) childEnv[`INPUT_${name.toUpperCase()}`] = value;
  const { entry } = env;
  env.log(`action: ${spec.label} ...`);
  const { code, wallMs, events, text, stderr } = await new Promise<{
    code: number;
    wallMs: number;
    events: Array<[string, number]>;
    text: string;
    stderr: string;
  }>((done, fail) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [entry], {
      cwd: env.workspace,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Array<[string, number]> = [];
    let pending = '';
    let text = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      const t = performance.now() - t0;
      text += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) events.push([l, t]);
    });
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (c) => done({ code: c ?? -1, wallMs: performance.now() - t0, events, text, stderr }));
  });
  if (code !== 0 || text.includes('::error::')) {
    throw new Error(
      `the action failed (${spec.label}, exit ${code}):\n${text.slice(-3000)}\n${stderr.slice(-2000)}`,
    );
  }
  const run: ActionRun = {
    label: spec.label,
    wallMs,
    outputs: parseOutputs(readFileSync(outputPath, 'utf8')),
    summary: parseSummary(readFileSync(summaryPath, 'utf8')),
    steps: segments(events, wallMs),
  };
  env.log(
    `action: ${spec.label}: ${fmtMs(wallMs)} wall, pipeline ${fmtMs(run.summary.totalMs)}, ${run.summary.filesIndexed} indexed, ${run.summary.embedded} embedded`,
  );
  return run;
}

function pushPayload(before: string, after: string): Record<string, unknown> {
  return {
    ref: REF,
    before,
    after,
    created: before === ZERO,
    deleted: false,
    forced: false,
    repository: { full_name: REPO, name: 'monorepo', owner: { login: 'bench' } },
  };
}

// ---- the repository --------------------------------------------------------------------------------

function listFiles(dir: string, skip: (rel: string) => boolean, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (skip(rel)) continue;
    if (e.isDirectory()) out.push(...listFiles(dir, skip, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}

function copyList(from: string, to: string, rels: readonly string[]): void {
  for (const r of rels) {
    mkdirSync(dirname(join(to, r)), { recursive: true });
    cpSync(join(from, r), join(to, r));
  }
}

/**
 * Builds the monorepo (one commit): all of `goSrc` under go/, the Python standard library under
 * python/ (no __pycache__, no site-packages), then evenly spread `.py` files of Debian's Python
 * packages under python-packages/ until `target` files. Returns its tracked files.
 */
function buildMonorepo(
  dir: string,
  goSrc: string,
  target: number,
  quick: boolean,
): { files: string[]; parts: string } {
  mkdirSync(dir, { recursive: true });
  const goAll = listFiles(goSrc, () => false);
  const go = quick ? spread(goAll, 600) : goAll;
  copyList(goSrc, join(dir, 'go'), go);
  const noCache = (r: string): boolean =>
    r.endsWith('__pycache__') || r.endsWith('-packages') || r === 'EXTERNALLY-MANAGED';
  const pyAll = existsSync(PYTHON_STDLIB) ? listFiles(PYTHON_STDLIB, noCache) : [];
  const py = quick ? spread(pyAll, 100) : pyAll;
  copyList(PYTHON_STDLIB, join(dir, 'python'), py);
  const missing = Math.max(0, target - go.length - py.length);
  const pkgAll =
    missing > 0 && existsSync(PYTHON_PACKAGES)
      ? listFiles(PYTHON_PACKAGES, (r) => r.endsWith('__pycache__')).filter((r) => r.endsWith('.py'))
      : [];
  const pkg = spread(pkgAll, missing);
  copyList(PYTHON_PACKAGES, join(dir, 'python-packages'), pkg);
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'monorepo: Go + Python standard libraries (codeidx action benchmark)']);
  const files = git(dir, ['ls-files']).split('\n').filter(Boolean);
  const parts = `${fmt(go.length)} Go (${goSrc}), ${fmt(py.length)} Python standard library (${PYTHON_STDLIB}), ${fmt(pkg.length)} Python files of ${PYTHON_PACKAGES}`;
  return { files, parts };
}

/** `count` `.go` files the reader indexes (not testdata, tests or vendor folders), evenly spread; `offset` 0/1 picks disjoint sets. */
function pickGoFiles(files: readonly string[], count: number, offset: number): string[] {
  const go = files.filter(
    (f) =>
      f.startsWith('go/') &&
      f.endsWith('.go') &&
      !f.includes('/testdata/') &&
      !f.includes('/vendor/') &&
      !f.endsWith('_test.go'),
  );
  return spread(
    go.filter((_, i) => i % 2 === offset),
    count,
  );
}

// ---- set-up ----------------------------------------------------------------------------------------

interface Timed {
  readonly what: string;
  readonly ms: number | null;
  readonly note: string;
}

function timeCommand(
  what: string,
  cmd: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Timed {
  const t0 = performance.now();
  try {
    execFileSync(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { what, ms: performance.now() - t0, note: `\`${[cmd, ...args].join(' ')}\`` };
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    const why = (e.stderr?.toString() ?? e.message).trim().split('\n').slice(-2).join(' ');
    return { what, ms: null, note: `failed after ${fmtMs(performance.now() - t0)}: ${why.slice(0, 300)}` };
  }
}

/**
 * Set-up timings: [0] warm `npm ci --omit=dev`, [1] warm `npm ci`, [2] `npm run build`,
 * [3] `npm prune --omit=dev`, [4] restore of the cached installed dependencies (extraction of a
 * zstd tar of node_modules + dist, as actions/cache stores them), [5] `npm ci` from an empty cache
 * (not with --quick). `archiveBytes`: size of that archive (what a runner would download).
 */
function measureSetup(
  repoRoot: string,
  scratch: string,
  quick: boolean,
  log: (l: string) => void,
): { parts: Timed[]; prebuilt: boolean; archiveBytes: number | null } {
  const clone = join(scratch, 'setup-clone');
  rmSync(clone, { recursive: true, force: true });
  git(repoRoot, ['clone', '-q', '--no-hardlinks', repoRoot, clone]);
  // action.yml's "Prepare" step: dist/ present in the checked-out action means `npm ci --omit=dev` only.
  const prebuilt = existsSync(join(clone, 'dist', 'action', 'index.js'));
  const npmEnv: NodeJS.ProcessEnv = {
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const out: Timed[] = [];
  const clean = (): void => rmSync(join(clone, 'node_modules'), { recursive: true, force: true });
  log('action: set-up: npm ci --omit=dev (warm npm cache) ...');
  out.push(
    timeCommand(
      '`npm ci --omit=dev`, warm npm cache (action.yml path when dist/ is prebuilt)',
      'npm',
      ['ci', '--omit=dev', '--prefer-offline', '--ignore-scripts'],
      clone,
      npmEnv,
      600_000,
    ),
  );
  clean();
  log('action: set-up: npm ci (warm npm cache) + npm run build + npm prune ...');
  out.push(
    timeCommand(
      '`npm ci` (with dev dependencies), warm npm cache (action.yml path without dist/)',
      'npm',
      ['ci', '--prefer-offline', '--ignore-scripts'],
      clone,
      npmEnv,
      600_000,
    ),
  );
  out.push(
    timeCommand(
      '`npm run build` (tsc, after the line above)',
      'npm',
      ['run', 'build'],
      clone,
      npmEnv,
      600_000,
    ),
  );
  out.push(
    timeCommand(
      '`npm prune --omit=dev` (before the installed dependencies are cached)',
      'npm',
      ['prune', '--omit=dev', '--ignore-scripts'],
      clone,
      npmEnv,
      600_000,
    ),
  );
  // actions/cache saves `tar --posix -cf cache.tzst --use-compress-program zstdmt` and restores with
  // `tar -xf cache.tzst -P -C <dir> --use-compress-program unzstd` (@actions/cache, tar.ts).
  let archiveBytes: number | null = null;
  const archive = join(scratch, 'modules-cache.tzst');
  const saved = timeCommand(
    '(save, not part of set-up) zstd tar of node_modules + dist',
    'tar',
    ['--posix', '-cf', archive, '--use-compress-program', 'zstd -T0', 'node_modules', 'dist'],
    clone,
    {},
    600_000,
  );
  if (saved.ms !== null) {
    archiveBytes = statSync(archive).size;
    rmSync(join(clone, 'node_modules'), { recursive: true, force: true });
    rmSync(join(clone, 'dist'), { recursive: true, force: true });
    log('action: set-up: restore of the cached installed dependencies ...');
    out.push(
      timeCommand(
        `restore of the cached installed dependencies: extract ${fmtMB(archiveBytes)} zstd tar of node_modules + dist (action.yml's cache hit: no npm, no tsc)`,
        'tar',
        ['-xf', archive, '--use-compress-program', 'unzstd'],
        clone,
        {},
        600_000,
      ),
    );
    rmSync(archive, { force: true });
  } else {
    out.push({ ...saved, what: 'restore of the cached installed dependencies (archive could not be made)' });
  }
  clean();
  if (!quick) {
    const empty = join(scratch, 'empty-npm-cache');
    rmSync(empty, { recursive: true, force: true });
    log('action: set-up: npm ci from an empty npm cache (registry) ...');
    out.push(
      timeCommand(
        '`npm ci` (with dev dependencies), empty npm cache: every tarball from registry.npmjs.org',
        'npm',
        ['ci', '--ignore-scripts', '--cache', empty],
        clone,
        npmEnv,
        600_000,
      ),
    );
    rmSync(empty, { recursive: true, force: true });
  }
  rmSync(clone, { recursive: true, force: true });
  return { parts: out, prebuilt, archiveBytes };
}

// ---- MiniLM-size cost per embedded text --------------------------------------------------------------

async function minilmMsPerText(
  ctx: BenchContext,
  dir: string,
  files: readonly string[],
): Promise<{ loadMs: number; msPerText: number; texts: number }> {
  const texts: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (let i = 0; i + 200 < text.length && texts.length < 64; i += 1200)
      texts.push(`// ${f}\n${text.slice(i, i + 1200)}`);
    if (texts.length >= 64) break;
  }
  const t0 = performance.now();
  const embedder = await openEmbedder({
    model: ctx.minilmDir,
    explicit: true,
    device: 'cpu',
    threads: ctx.options.threads,
    logger: ctx.logger,
  });
  const loadMs = performance.now() - t0;
  if (!embedder) throw new Error('the synthetic MiniLM model did not load');
  try {
    await embedder.embedDocuments(texts.slice(0, 4));
    const t1 = performance.now();
    await embedder.embedDocuments(texts);
    return { loadMs, msPerText: (performance.now() - t1) / texts.length, texts: texts.length };
  } finally {
    await embedder.close();
  }
}

// ---- the benchmark ---------------------------------------------------------------------------------

const stepsText = (r: ActionRun): string => r.steps.map(([n, ms]) => `${n} ${fmtMs(ms)}`).join(' · ');

function row(r: ActionRun): string[] {
  const s = r.summary;
  return [
    r.label,
    s.plannedBy,
    fmtMs(r.wallMs),
    fmtMs(s.totalMs),
    `${fmtMs(s.plan)} / ${fmtMs(s.chunk)} / ${fmtMs(s.embed)} / ${fmtMs(s.write)}`,
    `${fmt(s.filesSeen)} seen, ${fmt(s.filesIndexed)} indexed${s.filesReused ? ` (${fmt(s.filesReused)} renames rebuilt from the store)` : ''}, ${fmt(s.filesUnchanged)} unchanged`,
    `${fmt(s.chunks)} written, ${fmt(s.embedded)} embedded; ${s.hits}`,
  ];
}

/** Runs the benchmark. */
export async function runAction(ctx: BenchContext): Promise<SectionResult> {
  const { quick, log, workDir, repoRoot, goSrc } = ctx.options;
  const scratch = join(workDir, 'action');
  const workspace = join(scratch, 'monorepo');
  const target = quick ? 700 : REINDEX_REPO_FILES;
  log(`action: building a ${fmt(target)}-file git repository at ${workspace} ...`);
  const repo = buildMonorepo(workspace, goSrc, target, quick);
  const qdrantUrl = process.env.QDRANT_URL ?? null;
  const env: ActionEnv = {
    repoRoot,
    workspace,
    scratch,
    entry: installActionCopy(repoRoot, join(scratch, 'installed-action')),
    fakeCacheDir: join(scratch, 'fake-actions-cache'),
    storePath: join(scratch, 'store'),
    qdrantUrl,
    log,
    runs: 0,
  };
  const c0 = git(workspace, ['rev-parse', 'HEAD']).trim();

  // Cold index (push creating the branch), then the scheduled re-index of the unchanged tree.
  const cold = await runActionProcess(env, {
    label: 'push creating main: cold index (not a target)',
    event: 'push',
    payload: pushPayload(ZERO, c0),
    sha: c0,
  });
  const reindexRuns: ActionRun[] = [];
  const repeats = quick ? 1 : 3;
  for (let i = 0; i < repeats; i++) {
    reindexRuns.push(
      await runActionProcess(env, {
        label: `schedule: full re-index, unchanged, warm cache (${i + 1}/${repeats})`,
        event: 'schedule',
        payload: { schedule: '0 3 * * *' },
        sha: c0,
      }),
    );
  }

  // (a) rename 100 files, three times (there, back, there again: the same work each time, so the
  // median of three runs is reported — one run of a ~2 s process is at the mercy of machine noise);
  // (b) new content in 100 other files.
  const renamed = pickGoFiles(repo.files, 100, 0);
  const renameRuns: ActionRun[] = [];
  let before = c0;
  for (let i = 0; i < RENAME_REPEATS; i++) {
    const back = i % 2 === 1;
    for (const f of renamed) {
      const moved = f.replace(/\.go$/, '_moved.go');
      git(workspace, ['mv', back ? moved : f, back ? f : moved]);
    }
    git(workspace, ['commit', '-q', '-m', `benchmark: rename 100 files (${i + 1}/${RENAME_REPEATS})`]);
    const after = git(workspace, ['rev-parse', 'HEAD']).trim();
    renameRuns.push(
      await runActionProcess(env, {
        label: `push: \`git mv\` of ${renamed.length} files${back ? ' back' : ''} (${i + 1}/${RENAME_REPEATS})`,
        event: 'push',
        payload: pushPayload(before, after),
        sha: after,
      }),
    );
    before = after;
  }
  const c1 = before;
  const renameWall = median(renameRuns.map((r) => r.wallMs));
  /** The run with the median wall time (for the figures quoted from one run). */
  const rename = [...renameRuns].sort((x, y) => x.wallMs - y.wallMs)[Math.floor(renameRuns.length / 2)];

  const edited = pickGoFiles(repo.files, 100, 1);
  edited.forEach((f, i) =>
    appendFileSync(
      join(workspace, f),
      `\n// codeidxActionBench${i} is appended by the codeidx action benchmark.\nfunc codeidxActionBench${i}(values []int) (sum int) {\n\tfor _, v := range values {\n\t\tsum += v * ${i + 1}\n\t}\n\treturn sum\n}\n`,
    ),
  );
  git(workspace, ['commit', '-q', '-a', '-m', 'benchmark: new content in 100 files']);
  const c2 = git(workspace, ['rev-parse', 'HEAD']).trim();
  const change = await runActionProcess(env, {
    label: `push: new content in ${edited.length} files`,
    event: 'push',
    payload: pushPayload(c1, c2),
    sha: c2,
  });

  log('action: MiniLM-size cost per embedded text ...');
  const minilm = await minilmMsPerText(ctx, workspace, edited);
  const { parts: setup, prebuilt, archiveBytes } = measureSetup(repoRoot, scratch, quick, log);

  // ---- verdicts -----------------------------------------------------------------------------------
  const reindexWall = median(reindexRuns.map((r) => r.wallMs));
  const reindexPipe = median(reindexRuns.map((r) => r.summary.totalMs));
  const modelLoad = median(
    [cold, ...reindexRuns, ...renameRuns, change].map(
      (r) => r.steps.find(([n]) => n === 'model load')?.[1] ?? 0,
    ),
  );
  const seen = cold.summary.filesSeen;
  const bigEnough = repo.files.length >= REINDEX_REPO_FILES;
  const minilmEstimate = (r: ActionRun): number =>
    r.wallMs - r.summary.embed + r.summary.embedded * minilm.msPerText + minilm.loadMs - modelLoad;
  const setupMs = (i: number): number | null => setup[i]?.ms ?? null;
  const sum = (...xs: Array<number | null>): number | null =>
    xs.some((x) => x === null) ? null : xs.reduce<number>((a, x) => a + (x ?? 0), 0);
  // action.yml: a cache hit of the installed dependencies (node_modules + dist) skips npm and tsc;
  // a first run installs (`npm ci --omit=dev` with a prebuilt dist/, else `npm ci` + build + prune).
  const cachedLocal = sum(setupMs(4), modelLoad);
  const firstLocal = sum(setupMs(5), prebuilt ? 0 : sum(setupMs(2), setupMs(3)), modelLoad);
  const setupPath = prebuilt
    ? '`npm ci --omit=dev` (dist/ is committed)'
    : '`npm ci` + `npm run build` + `npm prune --omit=dev` (dist/ is not committed)';

  return {
    id: 'action',
    title: '8. GitHub Action end to end (dist/action/index.js, embedded store)',
    verdicts: [
      {
        metric: `(a) push after \`git mv\` of ${renamed.length} files, warm cache: action step wall time, median of ${RENAME_REPEATS} pushes (there, back, there again; ${fmt(rename.summary.embedded)} texts re-embedded by codeidx-static)`,
        target: `≤ ${fmtMs(ACTION_TARGETS.incrementalRename)}`,
        measured: `${fmtMs(renameWall)} (runs ${renameRuns.map((r) => fmtMs(r.wallMs)).join(', ')}; median run's pipeline ${fmtMs(rename.summary.totalMs)}: embed ${fmtMs(rename.summary.embed)})`,
        pass: renameWall <= ACTION_TARGETS.incrementalRename,
      },
      {
        metric: `(b) push with new content in ${edited.length} files: action step wall time; embed share of the pipeline`,
        target: '— (embedding-dominated expected)',
        measured: `${fmtMs(change.wallMs)}; embed ${fmtMs(change.summary.embed)} of ${fmtMs(change.summary.totalMs)} (${fmt((100 * change.summary.embed) / Math.max(1, change.summary.totalMs))}%)`,
        pass: null,
      },
      {
        metric: `scheduled full re-index of an unchanged ${fmt(repo.files.length)}-file repository (${fmt(seen)} seen by the reader), warm cache: action step wall time (median of ${repeats})`,
        target: bigEnough
          ? `≤ ${fmtMs(ACTION_TARGETS.fullReindex)}`
          : `≤ ${fmtMs(ACTION_TARGETS.fullReindex)} (needs ≥ 10,000 files; quick run has fewer)`,
        measured: `${fmtMs(reindexWall)} (pipeline ${fmtMs(reindexPipe)})`,
        pass: bigEnough ? reindexWall <= ACTION_TARGETS.fullReindex : null,
      },
      {
        metric: `set-up, cached (local parts only: extraction of the cached node_modules + dist${archiveBytes === null ? '' : ` (${fmtMB(archiveBytes)} zstd)`} + model load; not setup-node, not the archive's download)`,
        target: `≤ ${fmtMs(ACTION_TARGETS.setupCached)}`,
        measured: cachedLocal === null ? 'not measured (npm ci failed, see below)' : fmtMs(cachedLocal),
        pass: cachedLocal === null ? null : cachedLocal <= ACTION_TARGETS.setupCached,
      },
      {
        metric: `set-up, first run (local parts only: ${prebuilt ? '`npm ci` (an upper bound of `--omit=dev`)' : '`npm ci` + `npm run build` + `npm prune`'} from an empty npm cache + model load; no native install scripts)`,
        target: `≤ ${fmtMs(ACTION_TARGETS.setupFirst)}`,
        measured: firstLocal === null ? 'not measured (quick run or npm ci failed)' : fmtMs(firstLocal),
        pass: firstLocal === null ? null : firstLocal <= ACTION_TARGETS.setupFirst,
      },
    ],
    body: [
      table(
        [
          'run',
          'planned by',
          'action step wall',
          'pipeline',
          'plan / chunk / embed / write',
          'files',
          'chunks',
        ],
        [cold, ...reindexRuns, ...renameRuns, change].map(row),
      ),
      'Steps of each run (wall clock between log lines of the action; "start + imports" is node start until the first log line):',
      table(
        ['run', 'steps'],
        [cold, ...reindexRuns, ...renameRuns, change].map((r) => [r.label, stepsText(r)]),
      ),
      table(
        [
          'MiniLM-size model (synthetic all-MiniLM-L6-v2, ' + String(ctx.options.threads) + ' threads)',
          'measured / estimated',
        ],
        [
          ['model load', fmtMs(minilm.loadMs)],
          [
            `embedding, per text (${minilm.texts} texts of ≤ 1,200 characters from the changed files, batch of ${minilm.texts})`,
            `${fmt(minilm.msPerText, 1)} ms`,
          ],
          [
            `(a) rename, ${fmt(rename.summary.embedded)} texts to embed: estimated action step`,
            fmtMs(minilmEstimate(rename)),
          ],
          [
            `(b) new content, ${fmt(change.summary.embedded)} texts to embed: estimated action step`,
            fmtMs(minilmEstimate(change)),
          ],
        ],
      ),
      table(
        ['set-up part', 'measured', 'how'],
        setup.map((s) => [s.what, s.ms === null ? 'failed' : fmtMs(s.ms), s.note]),
      ),
    ],
    notes: [
      `Repository: one commit of ${fmt(repo.files.length)} files — ${repo.parts} (Go + this Debian image's Python standard library, without __pycache__, are fewer than ${fmt(target)} files, so Debian's Python packages fill up). The reader skips vendor folders, testdata and binaries, hence "seen" < files.`,
      "Every run is a new `node dist/action/index.js` process (action.yml's Index step) with GITHUB_EVENT_PATH (a push payload with before/after, or a schedule payload), INPUT_* (defaults; `store-path` outside the tree), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and a fresh RUNNER_TEMP. " +
        "The action runs from an installed copy (dist/action, models/, node_modules/ linked to this checkout's packages, no loader hook) in which `@actions/cache` is a folder-backed fake with the service's key matching, so the embedding cache is restored into RUNNER_TEMP and saved by local copies: the real service's network transfer is not in these figures. The action runs with its default `cache-restore: lazy`: it looks the newest entry up (`lookupOnly`), estimates its download from the size in its key (1 s + size at 50 MB/s) and restores it only once this run has spent that long embedding — none of the runs after the cold one does, so none restores or saves (the \"cache restore\" step is absent; the cold run's is the look-up that found no entry).",
      `Store: ${qdrantUrl ? `Qdrant at ${qdrantUrl}` : 'embedded SQLite only — QDRANT_URL was not set, so the Qdrant variant was skipped'}. Model: the default built-in \`codeidx-static\` (int8 bag-of-words, no network).`,
      'Pipeline phases come from the job summary (0.01 s resolution): plan = state read + listing + git diff (push) or hashing every file (schedule); chunk = read + tree-sitter; embed = cache/store look-ups + the time the main thread waited for vectors (the model runs in a worker thread, which embeds one batch while the main thread chunks the next and writes the previous); write = upserts + stale deletes.',
      `(a) A rename keeps the content but the embedded text's header holds the path, so every chunk of a moved file is a new text: ${fmt(rename.summary.embedded)} texts embedded (cache/store hits: ${rename.summary.hits}). With codeidx-static the main thread waited ${fmtMs(rename.summary.embed)} for them; with a MiniLM-size model it would be about ${fmtMs(rename.summary.embedded * minilm.msPerText)} of inference (estimate: texts × measured ms/text).`,
      `(b) Appending one function to each file: ${fmt(change.summary.embedded)} texts embedded (chunks whose text did not change are cache/store hits). MiniLM-size estimate: ${fmtMs(change.summary.embedded * minilm.msPerText)} of inference, i.e. embedding dominates with such a model; with codeidx-static it does not (${fmtMs(change.summary.embed)}).`,
      `"Model load" step of the action (main thread: resolve the built-in model, check its sha256, start the worker; the session itself loads in the worker while the run plans): median ${fmtMs(modelLoad)}; MiniLM-size ONNX model load (in-thread, for the estimates): ${fmtMs(minilm.loadMs)}.`,
      "Set-up: a fresh `git clone` of this repository (its HEAD commit), `--ignore-scripts` (native install scripts — better-sqlite3's prebuilt binary download from GitHub — cannot run here: no GitHub network), ONNXRUNTIME_NODE_INSTALL=skip as in action.yml. " +
        `Not measured: actions/setup-node, the download of the cached archive${archiveBytes === null ? '' : ` (${fmtMB(archiveBytes)})`} from the cache service on a runner, the runner's network, the native binary download. The clone ${prebuilt ? 'has' : 'has no'} dist/action/index.js, so a first run's install step runs ${setupPath}; on a cache hit of the installed dependencies (key: lockfile, sources, Node ABI, GPU) action.yml skips npm and tsc, which the cached verdict measures as the archive's extraction.`,
      `${availableParallelism()} cores shared with other work: see the load average above; compare ratios within this section.`,
      'Before/after a change, side by side: `OLD_REF=<commit> bash bench/action-ab.sh` (after a `--keep` run of this benchmark) alternates the rename push of an older build and of this one, each on its own store and cache.',
    ],
  };
}

// ---- standalone --------------------------------------------------------------------------------------

async function standalone(): Promise<number> {
  const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      out: { type: 'string' },
      'go-src': { type: 'string', default: DEFAULT_GO_SRC },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const out = resolve(
    values.out ??
      (quick ? join(REPO_ROOT, 'bench', '.work', 'BENCHMARKS.quick.md') : join(REPO_ROOT, 'BENCHMARKS.md')),
  );
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  const facts = machineFacts(REPO_ROOT);
  const workDir = join(REPO_ROOT, 'bench', '.work', `run-${facts.date.replace(/[:.]/g, '-')}`);
  mkdirSync(workDir, { recursive: true });
  const command = `npx tsx bench/suites/action.ts${quick ? ' --quick' : ''}`;
  const ctx = new BenchContext({
    quick,
    goSrc: resolve(values['go-src'] ?? DEFAULT_GO_SRC),
    threads: availableParallelism(),
    workDir,
    repoRoot: REPO_ROOT,
    log,
    fullPass: false,
  });
  try {
    const buildNote = ensureBuilt(REPO_ROOT, false, log);
    const load = loadAverage();
    const date = new Date().toISOString();
    const t0 = performance.now();
    const result = await runAction(ctx);
    const sections = readSections(out);
    sections.set(
      'action',
      renderSection(result, { command, date, load, seconds: (performance.now() - t0) / 1000, quick }),
    );
    const order = ['chunk', 'embed', 'reindex', 'incremental', 'query', 'rss', 'load', 'action'];
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderDocument({ facts, command, order, sections, notes: readNotes(out), buildNote }));
    log(`action done → ${out}`);
  } finally {
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = await standalone();
