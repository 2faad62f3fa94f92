/**
 * @module cli/main — the `codeidx` command line: `index`, `search`, `status`.
 *
 * Exit codes (stable, for scripts):
 * - 0: success (a search with no hits is a success, and prints "no results").
 * - 1: the run failed (store, model or embedding error); the previous index stays in force.
 * - 2: usage or input error (bad flag value, empty query, unknown model id).
 * - 3: no index found (search/status before `codeidx index`).
 */
import fs from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import git from 'isomorphic-git';
import { openSourceReader } from '../adapters/fs/open-source-reader.js';
import { ConfigError, describeError, ModelError, StoreCorruptError } from '../core/errors.js';
import { permalink } from '../core/identity.js';
import { DEFAULT_FILES_PER_BATCH, indexTree, type IndexReport } from '../core/index-pipeline.js';
import type { EmbeddingCache, Logger } from '../core/ports.js';
import { InvalidQueryError, MAX_K, SearchService } from '../core/search-service.js';
import { SYMBOL_KINDS, type IndexState, type SearchHit, type SearchMode, type SymbolKind } from '../core/types.js';
import { SqliteVectorStore } from '../adapters/sqlite/sqlite-vector-store.js';
import { createProgress, silentProgress } from './progress.js';
import { startServe } from './serve.js';
import { registerEvalCommand } from './eval-command.js';
import { createStderrLogger } from './stderr-logger.js';
import {
  defaultEmbeddingCachePath,
  listStoreFiles,
  NO_MODEL,
  openEmbedder,
  openEmbeddingCache,
  openStore,
  readManifest,
  spaceOf,
  storeFileName,
  writeManifest,
  createIndexChunker,
  DEFAULT_MODEL,
  type ClosableChunker,
} from './wiring.js';

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noIndex: 3 } as const;

/** Where the CLI writes and what environment it sees; injectable for tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly isTTY: boolean;
}

const defaultIo = (): CliIo => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  isTTY: Boolean(process.stderr.isTTY),
});

/** Thrown inside commands to end with a specific exit code after printing `message`. */
class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return n;
  };
}

function byteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 1048576, 512k or 2m');
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  return Math.round(Number(m[1]) * factor);
}

/** "owner/name" from a GitHub-style remote URL, or null. */
export function repoFromRemote(url: string): string | null {
  const m = /[/:]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : null;
}

async function detectRepoName(root: string): Promise<string> {
  try {
    const url = (await git.getConfig({ fs, dir: root, path: 'remote.origin.url' })) as unknown;
    if (typeof url === 'string') {
      const name = repoFromRemote(url);
      if (name) return name;
    }
  } catch {
    // Not a git repository, or no origin: fall back to the folder name.
  }
  return `local/${basename(root)}`;
}

function dataDirOf(root: string, explicit: string | undefined, io: CliIo): string {
  return resolve(io.cwd, explicit ?? io.env.CODEIDX_DATA_DIR ?? join(root, '.codeidx'));
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The human summary of an index run. */
export function formatIndexSummary(report: IndexReport, extra: { model: string; device: string; store: string }): string {
  const c = report.counts;
  const skipped = Object.entries(c.skipped).sort(([a], [b]) => a.localeCompare(b));
  const totalSkipped = skipped.reduce((s, [, n]) => s + (n ?? 0), 0);
  const lookups = c.cacheHits + c.storeHits + c.embedded;
  const lines = [
    `indexed ${report.scope.repo} ${report.scope.ref}${report.commit ? ` @ ${report.commit.slice(0, 12)}` : ''} (${report.plannedBy})`,
    `  files      ${c.filesSeen} seen, ${c.filesIndexed} indexed${c.filesReused ? ` (${c.filesReused} renames rebuilt from the store)` : ''}, ${c.filesUnchanged} unchanged, ${c.filesDropped} dropped`,
    `  skipped    ${totalSkipped}${skipped.length ? ` (${skipped.map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
    `  chunks     ${c.chunks} written, ${c.pointsDeleted} stale deleted`,
    `  embedding  ${extra.model} on ${extra.device}: ${c.embedded} embedded, ${c.cacheHits} cache hits, ${c.storeHits} reused from store${lookups ? ` (hit rate ${((100 * (c.cacheHits + c.storeHits)) / lookups).toFixed(1)}%)` : ''}`,
    `  time       ${formatDuration(report.durationMs)} (plan ${formatDuration(report.timings.plan)}, chunk ${formatDuration(report.timings.chunk)}, embed ${formatDuration(report.timings.embed)}, write ${formatDuration(report.timings.write)})`,
    `  store      ${extra.store}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** One search hit as text: `path:start-end  symbol  score`, then an indented snippet. */
export function formatHit(hit: SearchHit, snippetLines: number): string {
  const head = `${hit.path}:${hit.startLine}-${hit.endLine}  ${hit.symbol ?? `(${hit.symbolKind})`}  ${hit.score.toFixed(4)}`;
  const body = hit.text
    .split('\n')
    .slice(0, snippetLines)
    .map((l) => `    ${l.length > 160 ? `${l.slice(0, 157)}...` : l}`)
    .join('\n');
  return `${head}\n${body}\n`;
}

interface IndexFlags {
  full?: boolean;
  model?: string;
  device: 'auto' | 'cpu' | 'cuda';
  repo?: string;
  ref?: string;
  dataDir?: string;
  cache: boolean;
  cachePath?: string;
  maxFileSize: number;
  batchSize?: number;
  threads?: number;
  filesPerBatch?: number;
  chunkThreads?: number;
  include?: string[];
  exclude?: string[];
  json?: boolean;
  quiet?: boolean;
}

interface SearchFlags {
  k: number;
  mode: SearchMode;
  lang?: string;
  path?: string;
  kind?: SymbolKind;
  repo?: string;
  ref?: string;
  dir: string;
  dataDir?: string;
  model?: string;
  device: 'auto' | 'cpu' | 'cuda';
  json?: boolean;
  lines: number;
}

async function runIndex(pathArg: string | undefined, flags: IndexFlags, io: CliIo): Promise<number> {
  const root = resolve(io.cwd, pathArg ?? '.');
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new ExitError(`${root} is not a directory`, EXIT.usage);
  }
  const quiet = flags.quiet === true || flags.json === true;
  const logger: Logger = createStderrLogger(quiet ? 'warn' : 'info', io.stderr);
  const modelSpec = flags.model ?? io.env.CODEIDX_MODEL ?? DEFAULT_MODEL;
  const embedder = await openEmbedder({
    model: modelSpec,
    explicit: flags.model !== undefined || io.env.CODEIDX_MODEL !== undefined,
    device: flags.device,
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(io.env.HF_ENDPOINT ? { endpoint: io.env.HF_ENDPOINT } : {}),
    ...(io.env.CODEIDX_MODEL_CACHE ? { modelCacheDir: io.env.CODEIDX_MODEL_CACHE } : {}),
    // The model loads in a worker thread while the run plans, and embeds one batch while the next
    // is chunked and the previous written (cold index of the action's benchmark repository: 1.44×).
    inWorker: true,
    logger,
  });
  const space = spaceOf(embedder);
  const dataDir = dataDirOf(root, flags.dataDir, io);
  const storePath = join(dataDir, storeFileName(space));
  const store = await openStore(storePath, space, logger, { workload: 'index' });
  let cache: EmbeddingCache | null = null;
  let chunker: ClosableChunker | null = null;
  try {
    if (embedder && flags.cache) {
      cache = await openEmbeddingCache(resolve(io.cwd, flags.cachePath ?? defaultEmbeddingCachePath(io.env)), logger);
    }
    // The index's own folder is never indexed when it lives inside the tree.
    const dataRel = relative(root, dataDir).split(sep).join('/');
    const ownExclude = dataRel && !dataRel.startsWith('..') && !isAbsolute(dataRel) ? [dataRel, `${dataRel}/**`] : [];
    const exclude = [...(flags.exclude ?? []), ...ownExclude];
    const reader = await openSourceReader(root, {
      maxFileBytes: flags.maxFileSize,
      ...(flags.include ? { include: flags.include } : {}),
      ...(exclude.length > 0 ? { exclude } : {}),
    });
    const commit = await reader.headCommit();
    const ref = flags.ref ?? (await reader.currentRef()) ?? (commit ? 'HEAD' : 'working-tree');
    const repo = flags.repo ?? (await detectRepoName(root));
    chunker = createIndexChunker(embedder, logger, flags.chunkThreads);
    const progress = quiet ? silentProgress : createProgress({ quiet, isTTY: io.isTTY, ci: Boolean(io.env.CI) });
    if (!quiet) logger.info(`indexing ${root} as ${repo} ${ref} with ${embedder ? embedder.info.id : 'no model (lexical only)'}`);
    const report = await indexTree(
      { reader, chunker, embedder, cache, store, logger, progress },
      {
        scope: { repo, ref },
        commit,
        full: flags.full === true,
        planSource: 'scan',
        maxFileBytes: flags.maxFileSize,
        ...(flags.filesPerBatch !== undefined ? { filesPerBatch: flags.filesPerBatch } : {}),
      },
    );
    await embedder?.ready; // a model that cannot load fails the command even when nothing needed embedding
    writeManifest(dataDir, { model: embedder ? modelSpec : NO_MODEL, store: storeFileName(space) });
    if (flags.json) {
      io.stdout(`${JSON.stringify({ ...report, store: storePath, model: embedder?.info.id ?? null, device: embedder?.device ?? null }, null, 2)}\n`);
    } else {
      io.stdout(
        formatIndexSummary(report, {
          model: embedder ? `${embedder.info.id}@${embedder.info.revision}` : 'none (lexical only)',
          device: embedder?.device ?? '-',
          store: storePath,
        }),
      );
    }
    return EXIT.ok;
  } finally {
    await chunker?.close();
    await cache?.close();
    await store.close();
    await embedder?.close();
  }
}

async function runSearch(query: string, flags: SearchFlags, io: CliIo): Promise<number> {
  const root = resolve(io.cwd, flags.dir);
  const dataDir = dataDirOf(root, flags.dataDir, io);
  const logger = createStderrLogger('warn', io.stderr);
  const manifest = readManifest(dataDir);
  const stores = listStoreFiles(dataDir);
  if (!manifest && stores.length === 0) {
    throw new ExitError(`no index in ${dataDir}: run \`codeidx index ${flags.dir === '.' ? '' : flags.dir}\` first`, EXIT.noIndex);
  }
  const modelSpec = flags.model ?? manifest?.model ?? NO_MODEL;
  const embedder = await openEmbedder({ model: modelSpec, explicit: true, device: flags.device, logger });
  const storePath = join(dataDir, storeFileName(spaceOf(embedder)));
  if (!fs.existsSync(storePath)) {
    throw new ExitError(`no index for model ${modelSpec} in ${dataDir}: run \`codeidx index --model ${modelSpec}\``, EXIT.noIndex);
  }
  const store = await openStore(storePath, spaceOf(embedder), logger);
  try {
    const service = new SearchService({ store, embedder });
    const response = await service.search({
      query,
      k: flags.k,
      mode: flags.mode,
      filter: {
        ...(flags.repo ? { repo: flags.repo } : {}),
        ...(flags.ref ? { ref: flags.ref } : {}),
        ...(flags.path ? { pathPrefix: flags.path } : {}),
        ...(flags.lang ? { language: flags.lang } : {}),
        ...(flags.kind ? { symbolKind: flags.kind } : {}),
      },
    });
    if (flags.json) {
      const results = response.hits.map((h) => ({ ...h, permalink: h.commit ? permalink(h) : null }));
      io.stdout(`${JSON.stringify({ query, mode: response.mode, results }, null, 2)}\n`);
    } else if (response.hits.length === 0) {
      io.stdout('no results\n');
    } else {
      for (const hit of response.hits) io.stdout(formatHit(hit, flags.lines));
      if (response.mode !== flags.mode) io.stderr(`note: ${flags.mode} search ran as ${response.mode} (the index has no vectors)\n`);
    }
    return EXIT.ok;
  } finally {
    await store.close();
    await embedder?.close();
  }
}

async function runStatus(flags: { dir: string; dataDir?: string; json?: boolean }, io: CliIo): Promise<number> {
  const root = resolve(io.cwd, flags.dir);
  const dataDir = dataDirOf(root, flags.dataDir, io);
  const stores = listStoreFiles(dataDir);
  if (stores.length === 0) throw new ExitError(`no index in ${dataDir}: run \`codeidx index\` first`, EXIT.noIndex);
  const logger = createStderrLogger('warn', io.stderr);
  const rows: Array<IndexState & { store: string; points: number }> = [];
  for (const file of stores) {
    const path = join(dataDir, file);
    const store = await openStore(path, SqliteVectorStore.readSpace(path) ?? null, logger);
    try {
      for (const state of await store.listStates()) {
        rows.push({ ...state, store: path, points: await store.count({ repo: state.repo, ref: state.ref }) });
      }
    } finally {
      await store.close();
    }
  }
  if (flags.json) {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const state of rows) {
    io.stdout(
      `${state.repo} ${state.ref}: ${state.status}${state.commit ? ` @ ${state.commit.slice(0, 12)}` : ''}, ` +
        `${state.points} points, model ${state.model}, chunker v${state.chunkerVersion}, ` +
        `${state.completedAt ? `completed ${state.completedAt}` : `started ${state.startedAt}`}\n  store ${state.store}\n`,
    );
  }
  return EXIT.ok;
}

/** Builds the commander program; each action stores its exit code in `result`. */
function buildProgram(io: CliIo, result: { code: number }): Command {
  const program = new Command('codeidx')
    .description('Semantic + lexical code search that stays fresh.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  const device = new Option('--device <device>', 'execution provider').choices(['auto', 'cpu', 'cuda']).default('auto');

  program
    .command('index')
    .description('index a git working tree or a plain folder (incremental: only changed files are re-chunked)')
    .argument('[path]', 'folder to index', '.')
    .option('--full', 're-chunk every file (vectors still come from the cache)')
    .option('--model <model>', `embedding model: registry id[@revision], a model folder, or "none" (default ${DEFAULT_MODEL}, env CODEIDX_MODEL)`)
    .addOption(device)
    .option('--repo <owner/name>', 'repository name stored with the index (default: from the origin remote)')
    .option('--ref <ref>', 'ref stored with the index (default: the current branch)')
    .option('--data-dir <dir>', 'where the index lives (default <path>/.codeidx, env CODEIDX_DATA_DIR)')
    .option('--no-cache', 'do not use the embedding cache')
    .option('--cache-path <file>', 'embedding cache file (default $XDG_CACHE_HOME/codeidx/embeddings.db)')
    .option('--max-file-size <bytes>', 'skip larger files (e.g. 1m, 512k)', byteSize, 1024 * 1024)
    .option('--batch-size <n>', 'texts per embedding batch', positiveInt('--batch-size', 4096))
    .option('--threads <n>', 'onnxruntime intra-op threads', positiveInt('--threads', 256))
    .option('--chunk-threads <n>', 'worker threads that parse and chunk (default 1: in-thread; more helps only with spare cores)', positiveInt('--chunk-threads', 256))
    .option('--files-per-batch <n>', 'files chunked, embedded and written together (bounds memory)', positiveInt('--files-per-batch', 100_000), DEFAULT_FILES_PER_BATCH)
    .option('--include <glob...>', 'only files matching these globs')
    .option('--exclude <glob...>', 'skip files matching these globs')
    .option('--json', 'print the run report as JSON')
    .option('-q, --quiet', 'no progress, warnings only')
    .action(async (path: string, flags: IndexFlags) => {
      result.code = await runIndex(path, flags, io);
    });

  program
    .command('search')
    .description('search the index of a folder')
    .argument('<query>', 'what to look for, in words or identifiers')
    .option('-k <n>', `number of results (1-${MAX_K})`, positiveInt('-k', MAX_K), 10)
    .addOption(new Option('--mode <mode>', 'retrieval mode').choices(['hybrid', 'semantic', 'lexical']).default('hybrid'))
    .option('--lang <language>', 'only this language (e.g. go, typescript)')
    .option('--path <prefix>', 'only under this folder or path prefix')
    .addOption(new Option('--kind <kind>', 'only this symbol kind').choices([...SYMBOL_KINDS]))
    .option('--repo <owner/name>', 'only this repository')
    .option('--ref <ref>', 'only this ref')
    .option('--dir <path>', 'the indexed folder', '.')
    .option('--data-dir <dir>', 'where the index lives (default <dir>/.codeidx)')
    .option('--model <model>', 'model of the index to search (default: the one last indexed)')
    .addOption(device)
    .option('--lines <n>', 'snippet lines per result', positiveInt('--lines', 1000), 6)
    .option('--json', 'print results as JSON')
    .action(async (query: string, flags: SearchFlags) => {
      result.code = await runSearch(query, flags, io);
    });

  program
    .command('status')
    .description('show what is indexed: commit, status, points, model per repo and ref')
    .option('--dir <path>', 'the indexed folder', '.')
    .option('--data-dir <dir>', 'where the index lives (default <dir>/.codeidx)')
    .option('--json', 'print as JSON')
    .action(async (flags: { dir: string; dataDir?: string; json?: boolean }) => {
      result.code = await runStatus(flags, io);
    });
  registerEvalCommand(program, io, result);

  program
    .command('serve')
    .description('serve the search API, the web page and the GitHub App webhook (configured by environment; see README)')
    .action(async () => {
      const handle = await startServe(io.env);
      io.stderr(`codeidx serve: listening on ${handle.url}${handle.webhookPath ? ` (webhook ${handle.webhookPath})` : ''}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await handle.close();
      result.code = EXIT.ok;
    });
  return program;
}

/**
 * Runs the CLI with `argv` (as `process.argv`: node, script, args…) and returns the exit code.
 * Never throws: every error is printed with its hint and mapped to an exit code.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const result = { code: EXIT.ok as number };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync([...argv]);
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ExitError) {
      io.stderr(`error: ${error.message}\n`);
      return error.code;
    }
    io.stderr(`error: ${describeError(error)}\n`);
    if (error instanceof InvalidQueryError || error instanceof ConfigError) return EXIT.usage;
    if (error instanceof ModelError && !(error instanceof StoreCorruptError) && /unknown model/.test(error.message)) return EXIT.usage;
    return EXIT.failed;
  }
}
