/**
 * @module action/main — the GitHub Action: `run()` reads the inputs and the event, wires the
 * adapters, runs the indexing pipeline (or drops a deleted ref) and reports through @actions/core.
 *
 * Failure policy (CONVENTIONS.md §6): a fatal error (bad input, model, embedding or store failure)
 * is `core.setFailed` with its hint, and the previous complete index state stays in force — the
 * next run converges. Files that cannot be indexed are warnings (annotations) and the run goes on.
 * A cache service failure is a warning, never a failed job.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as core from '@actions/core';
import { openSourceReader } from '../adapters/fs/open-source-reader.js';
import { GithubCompareDiff } from '../adapters/github/github-compare-diff.js';
import { defaultModelCacheDir } from '../adapters/hf/model-resolver.js';
import { chooseDevice, systemDeviceProbe } from '../adapters/onnx/device.js';
import { discardPrestartedWorker } from '../adapters/onnx/worker-prestart.js';
import { BUILTIN_MODEL_ID } from '../adapters/static-model/builtin-model.js';
import type { QdrantVectorStore } from '../adapters/qdrant/qdrant-vector-store.js';
import {
  createChunker,
  NO_MODEL,
  openEmbedder,
  openEmbeddingCache,
  openStore,
  spaceOf,
  storeFileName,
} from '../cli/wiring.js';
import { ConfigError, describeError } from '../core/errors.js';
import { indexTree, type IndexDeps } from '../core/index-pipeline.js';
import type { EmbeddingCache, Embedder, Logger, SourceReader, VectorStore } from '../core/ports.js';
import type { EmbeddingSpace, RefScope } from '../core/types.js';
import { createActionLogger } from './action-logger.js';
import {
  cacheAvailable,
  embeddingCacheKeys,
  lookupEntry,
  modelCacheKey,
  restorePaths,
  savePaths,
  sizedKey,
  sizeFromKey,
} from './actions-cache.js';
import {
  ASSUMED_RESTORE_FIXED_MS,
  DeferredRestoreCache,
  estimateRestoreMs,
  MeteredEmbedder,
} from './deferred-embedding-cache.js';
import { decideRun, readGithubEnv, type GithubEnv, type RunDecision } from './github-event.js';
import { readInputs, type ActionInputs } from './inputs.js';
import { annotateSkippedFiles, setRunOutputs, writeDeleteSummary, writeIndexSummary } from './job-summary.js';
import { ShardedSourceReader, ShardedVectorStore } from './shard.js';

/** Texts per embedding batch on a GPU when `batch-size` is `auto` (CPU keeps the embedder's default, 32). */
export const GPU_BATCH_SIZE = 128;

/**
 * Runs the action. Never throws: a fatal error ends in `core.setFailed`. A prestarted embedding worker
 * that the run did not adopt (it failed early, or needed no model) is stopped gracefully before it
 * returns (`discardPrestartedWorker`), not killed mid-load by the process's exit.
 */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await runAction(env);
  } catch (error) {
    core.setFailed(describeError(error));
  } finally {
    await discardPrestartedWorker().catch(() => undefined);
  }
}

async function runAction(env: NodeJS.ProcessEnv): Promise<void> {
  const inputs = readInputs();
  if (inputs.qdrantApiKey) core.setSecret(inputs.qdrantApiKey);
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  const logger = createActionLogger();
  const gh = readGithubEnv(env);
  const decision = decideRun(gh, inputs.ref);
  const repo = inputs.repo ?? gh.repository;
  if (!repo) {
    throw new ConfigError('no repository name: GITHUB_REPOSITORY is not set and the `repo` input is empty', {
      hint: 'set the `repo` input to "owner/name"',
    });
  }
  const workspace = gh.workspace ?? process.cwd();
  const root = resolve(workspace, inputs.path);
  core.info(`codeidx: ${gh.eventName} on ${repo}: ${decision.why}`);

  if (decision.kind === 'skip') {
    core.notice(`codeidx: nothing to index (${decision.why})`);
    setEmptyOutputs();
    return;
  }

  // ---- Model ----------------------------------------------------------------------------------
  const modelCacheDir = env.CODEIDX_MODEL_CACHE ?? defaultModelCacheDir();
  // Asked only when a cache operation is due: @actions/cache is imported on first use.
  let cachesOnAnswer: Promise<boolean> | undefined;
  const cachesOn = (): Promise<boolean> =>
    (cachesOnAnswer ??= inputs.cache ? cacheAvailable() : Promise.resolve(false));
  // Downloaded model files are cached; the built-in model and a model folder need no download.
  const modelIsRemote =
    inputs.model !== NO_MODEL &&
    inputs.model !== BUILTIN_MODEL_ID &&
    !isDirectory(resolve(workspace, inputs.model));
  const modelHit =
    modelIsRemote && (await cachesOn())
      ? await restorePaths('model files', [modelCacheDir], modelCacheKey(inputs.model))
      : null;
  const { embedder, loaded } = await core.group('Load the embedding model', () =>
    loadEmbedder(inputs, workspace, modelCacheDir, env, logger),
  );
  if (modelIsRemote && (await cachesOn()) && embedder && modelHit === null) {
    await savePaths('model files', [modelCacheDir], modelCacheKey(inputs.model));
  }

  let store: VectorStore | null = null;
  try {
    const space = spaceOf(embedder);
    const opened = await core.group('Open the store', () =>
      openActionStore(inputs, space, workspace, logger),
    );
    store = opened.store;
    const scope: RefScope = { repo, ref: decision.ref };
    if (decision.kind === 'delete-ref') {
      await core.group(`Drop ${decision.ref}`, async () => {
        const points = await opened.store.count(scope);
        await opened.store.deleteRef(scope);
        core.info(`dropped ${points} points and the index state of ${repo} ${decision.ref}`);
        setEmptyOutputs();
        await writeDeleteSummary(repo, decision.ref, points, decision.why);
      });
      return;
    }
    await indexRun({
      inputs,
      gh,
      decision,
      root,
      workspace,
      repo,
      scope,
      embedder,
      store: opened.store,
      storeLabel: opened.label,
      qdrant: opened.qdrant ?? null,
      logger,
      cachesOn,
      modelLoaded: loaded,
    });
  } finally {
    // The embedding worker shuts down while the store checkpoints its WAL (which blocks this thread).
    const embedderClosing = embedder?.close() ?? Promise.resolve();
    try {
      await store?.close();
    } finally {
      await embedderClosing;
    }
  }
}

interface IndexRunContext {
  readonly inputs: ActionInputs;
  readonly gh: GithubEnv;
  readonly decision: Extract<RunDecision, { kind: 'index' }>;
  readonly root: string;
  readonly workspace: string;
  readonly repo: string;
  readonly scope: RefScope;
  readonly embedder: Embedder | null;
  readonly store: VectorStore;
  readonly storeLabel: string;
  /** The same store when it is Qdrant (for promote-alias), else null. */
  readonly qdrant: QdrantVectorStore | null;
  readonly logger: Logger;
  /** Whether the Actions cache service can be used (asked on first need). */
  readonly cachesOn: () => Promise<boolean>;
  /** See `LoadedEmbedder.loaded`. */
  readonly modelLoaded: Promise<void> | null;
}

async function indexRun(ctx: IndexRunContext): Promise<void> {
  const { inputs, gh, decision, root, scope, embedder, logger } = ctx;
  let reader: SourceReader = await openReader(inputs, root, ctx.workspace);
  const commit = await reader.headCommit();
  if (commit === null) {
    throw new ConfigError(`${root} has no commit checked out: there is nothing to index at a commit`, {
      hint: 'run actions/checkout before codeidx, and push at least one commit',
    });
  }
  if (decision.eventCommit && decision.eventCommit.toLowerCase() !== commit) {
    core.warning(
      `the event is about commit ${decision.eventCommit.slice(0, 12)} but ${commit.slice(0, 12)} is checked out; indexing the checked-out tree as ${commit.slice(0, 12)}`,
    );
  }
  let store = ctx.store;
  let planSource = decision.planSource;
  if (inputs.shard) {
    reader = new ShardedSourceReader(reader, inputs.shard);
    store = new ShardedVectorStore(store, inputs.shard, logger);
    planSource = 'scan';
    core.info(
      `shard ${inputs.shard.index}/${inputs.shard.count}: indexing only the paths of this shard; the ref's state is left to the next unsharded run`,
    );
  }

  // ---- Embedding cache (persisted with the Actions cache) -----------------------------------------
  // `cache-restore: lazy` (the default) defers the download until embedding has cost as much as the
  // download is estimated to (action/deferred-embedding-cache); `eager` restores before indexing.
  let cache: EmbeddingCache | null = null;
  let deferred: DeferredRestoreCache | null = null;
  const metered = embedder ? new MeteredEmbedder(embedder) : null;
  const cachePath = join(gh.runnerTemp ?? tmpdir(), 'codeidx', 'embeddings.db');
  const keys = embedder
    ? embeddingCacheKeys(`${embedder.info.id}@${embedder.info.revision}`, scope.ref, gh.runId, gh.runAttempt)
    : null;
  if (embedder && inputs.cache && keys) {
    if (inputs.cacheRestore === 'lazy') {
      deferred = new DeferredRestoreCache({
        // No restore costs less than its fixed part: until embedding has cost that much, the cache
        // service is not even asked (nor @actions/cache loaded).
        minRestoreMs: ASSUMED_RESTORE_FIXED_MS,
        restoreCostMs: async () => {
          if (!(await ctx.cachesOn())) return null;
          const hit = await lookupEntry('embedding cache', [cachePath], keys.key, keys.restoreKeys);
          if (hit === null) return null;
          const estimate = estimateRestoreMs(sizeFromKey(hit));
          core.info(
            `embedding cache: entry ${hit} found; restore deferred until embedding has taken ${estimate} ms (its estimated restore time)`,
          );
          return estimate;
        },
        open: async (restore) => {
          if (restore) await restorePaths('embedding cache', [cachePath], keys.key, keys.restoreKeys);
          return openEmbeddingCache(cachePath, logger);
        },
        embeddingMs: () => metered?.embeddingMs ?? 0,
        logger,
      });
      cache = deferred;
    } else {
      if (await ctx.cachesOn())
        await restorePaths('embedding cache', [cachePath], keys.key, keys.restoreKeys);
      cache = await openEmbeddingCache(cachePath, logger);
    }
  }

  const remote = inputs.githubToken
    ? new GithubCompareDiff({
        repo: ctx.repo,
        token: inputs.githubToken,
        logger,
        ...(gh.apiUrl ? { baseUrl: gh.apiUrl } : {}),
      })
    : null;
  const deps: IndexDeps = {
    reader,
    chunker: createChunker(embedder, logger),
    embedder: metered,
    cache,
    store,
    logger,
    ...(remote ? { remoteDiff: (base: string, head: string) => remote.diff(base, head) } : {}),
  };
  let report;
  try {
    report = await core.group(`Index ${scope.repo} ${scope.ref} @ ${commit.slice(0, 12)}`, () =>
      indexTree(deps, {
        scope,
        commit,
        full: inputs.mode === 'full',
        planSource,
        // The scheduled and manual runs (planned by content hash) repair, and compact the store.
        optimize: inputs.mode === 'full' || decision.planSource === 'scan',
        maxFileBytes: inputs.maxFileBytes,
      }),
    );
  } finally {
    // Close (which prunes the cache to its bound) and save even after a failure: the vectors already
    // computed make the re-run cheaper.
    if (cache) {
      await cache.close();
      // A run that added no vector (nothing embedded, nothing copied from the store) would save a
      // copy of what it restored: skip the upload (the cache can be large; recency updates of the
      // hits are the only loss). A deferred cache that was never opened has nothing to save: saving
      // only this run's vectors would shadow the larger entry that the next run restores.
      const added = report ? report.counts.embedded + report.counts.storeHits : 1;
      if (deferred && deferred.droppedFromBuffer > 0 && deferred.opened) {
        core.info(
          `embedding cache: ${deferred.droppedFromBuffer} vectors computed before its restore exceeded the in-memory bound and are not in the saved cache`,
        );
      }
      if (deferred && !deferred.opened) {
        const spent = `${metered?.textsEmbedded ?? 0} texts embedded in ${Math.round(metered?.embeddingMs ?? 0)} ms`;
        const estimate = deferred.estimatedRestoreMs;
        core.info(
          estimate === undefined
            ? `embedding cache not looked up: ${spent}, less than any restore takes (${ASSUMED_RESTORE_FIXED_MS} ms); not saved`
            : `embedding cache not restored: ${spent}, less than its estimated restore time (${estimate} ms); not saved`,
        );
      } else if (keys && existsSync(cachePath) && added > 0 && (await ctx.cachesOn()))
        await savePaths('embedding cache', [cachePath], sizedKey(keys.key, statSync(cachePath).size));
      else if (added === 0 && (await ctx.cachesOn()))
        core.info('embedding cache unchanged (nothing embedded): not saved again');
    }
  }

  await ctx.modelLoaded; // a model that cannot load fails the job, even if nothing needed embedding

  if (inputs.promoteAlias) {
    const target = ctx.qdrant;
    if (!target) {
      core.warning('promote-alias applies to a Qdrant store only; ignored for the embedded store');
    } else if (inputs.shard) {
      core.warning(
        'promote-alias is ignored in a sharded run: set it on the unsharded run that finalizes the re-index',
      );
    } else {
      // Refuses (VectorStoreError, failing the job) while any (repo, ref) of the collection is in progress.
      await core.group('Promote the collection alias', async () => {
        const { previous } = await target.promoteAlias();
        core.info(
          previous
            ? `alias ${target.aliasName} moved from ${previous} to ${target.collectionName}; ${previous} can be dropped once no client reads it directly`
            : `alias ${target.aliasName} points at ${target.collectionName}`,
        );
      });
    }
  }

  await core.group('Report', async () => {
    setRunOutputs(report);
    const rel = relative(ctx.workspace, root).split(sep).join('/');
    annotateSkippedFiles(report, rel.startsWith('..') ? '' : rel);
    await writeIndexSummary(report, {
      model: embedder ? `${embedder.info.id}@${embedder.info.revision}` : 'none (lexical only)',
      device: embedder?.device ?? '-',
      store: ctx.storeLabel,
      why: decision.why,
      shard: inputs.shard ? `${inputs.shard.index}/${inputs.shard.count}` : null,
    });
    const c = report.counts;
    core.info(
      `indexed ${commit.slice(0, 12)} (${report.plannedBy}): ${c.filesIndexed} files${c.filesReused ? ` (${c.filesReused} renames rebuilt from the store)` : ''}, ${c.chunks} chunks, ${c.embedded} embedded, ${c.filesDropped} dropped in ${(report.durationMs / 1000).toFixed(2)} s`,
    );
  });
}

function setEmptyOutputs(): void {
  core.setOutput('commit', '');
  core.setOutput('files-indexed', '0');
  core.setOutput('chunks-embedded', '0');
  core.setOutput('cache-hit-rate', '0');
  core.setOutput('duration-seconds', '0');
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * The embedder (its model loading in a worker thread), and a promise that settles when it has loaded:
 * awaited after the pipeline, so that a broken model fails the job even when nothing needed embedding
 * (when something did, the pipeline itself fails with the same error). Null for a lexical-only run.
 */
interface LoadedEmbedder {
  readonly embedder: Embedder | null;
  readonly loaded: Promise<void> | null;
}

async function loadEmbedder(
  inputs: ActionInputs,
  workspace: string,
  modelCacheDir: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<LoadedEmbedder> {
  if (inputs.model === NO_MODEL) {
    core.info('model: none (a lexical-only index)');
    // Not awaited: the worker finishes loading before it is stopped (see discardPrestartedWorker), which
    // the index run need not wait for; the worker is referenced meanwhile, so the process waits for it.
    void discardPrestartedWorker().catch(() => undefined);
    return { embedder: null, loaded: null };
  }
  const wanted = chooseDevice(inputs.device, systemDeviceProbe, logger);
  const batchSize =
    inputs.batchSize === 'auto' ? (wanted === 'cuda' ? GPU_BATCH_SIZE : undefined) : inputs.batchSize;
  const local = resolve(workspace, inputs.model);
  const embedder = await openEmbedder({
    model: isDirectory(local) ? local : inputs.model,
    // In CI an unavailable model is an error, not a silent switch to another (lexical) index.
    explicit: true,
    // Probed once, here: a runner without a GPU tells the worker `cpu`, so it does not probe again.
    device: wanted === 'cpu' ? 'cpu' : inputs.device,
    modelCacheDir,
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(env.HF_ENDPOINT ? { endpoint: env.HF_ENDPOINT } : {}),
    // The session loads in a worker thread while the run plans, and embeds while it chunks and writes.
    inWorker: true,
    logger,
  });
  if (!embedder) return { embedder: null, loaded: null };
  core.info(
    `model ${embedder.info.id}@${embedder.info.revision} (${embedder.info.dims} dims): loading in a worker thread`,
  );
  const loaded = (async () => {
    await embedder.ready;
    if (wanted === 'cuda' && embedder.device !== 'cuda') {
      core.warning(
        `an NVIDIA GPU was found but CUDA could not be used; embedding on CPU (slower, same index)`,
      );
    }
  })();
  loaded.catch(() => undefined); // awaited after the pipeline (indexRun)
  return { embedder, loaded };
}

async function openActionStore(
  inputs: ActionInputs,
  space: EmbeddingSpace | null,
  workspace: string,
  logger: Logger,
): Promise<{ store: VectorStore; label: string; qdrant?: QdrantVectorStore }> {
  if (inputs.qdrantUrl) {
    // Imported only for a Qdrant run: the REST client is ~150 ms of start-up the embedded store skips.
    const { QdrantVectorStore } = await import('../adapters/qdrant/qdrant-vector-store.js');
    const store = new QdrantVectorStore({
      url: inputs.qdrantUrl,
      space,
      logger,
      ...(inputs.qdrantApiKey ? { apiKey: inputs.qdrantApiKey } : {}),
      ...(inputs.collection ? { collection: inputs.collection } : {}),
    });
    await store.init();
    core.info(`store: Qdrant at ${inputs.qdrantUrl}`);
    return { store, label: `Qdrant ${inputs.qdrantUrl}`, qdrant: store };
  }
  const file = storeFilePath(inputs.storePath, space, workspace);
  mkdirSync(dirname(file), { recursive: true });
  const store = await openStore(file, space, logger, { workload: 'index' });
  core.info(`store: SQLite ${file}`);
  return {
    store,
    label: `SQLite ${relative(workspace, file).startsWith('..') ? file : relative(workspace, file)}`,
  };
}

/** `store-path` is a `.db` file, or a folder holding one store file per embedding space. */
export function storeFilePath(storePath: string, space: EmbeddingSpace | null, workspace: string): string {
  const abs = resolve(workspace, storePath);
  return abs.endsWith('.db') ? abs : join(abs, storeFileName(space));
}

async function openReader(inputs: ActionInputs, root: string, workspace: string): Promise<SourceReader> {
  if (!isDirectory(root)) {
    throw new ConfigError(`${root} is not a directory`, {
      hint: 'run actions/checkout first, or fix the `path` input',
    });
  }
  // The embedded store's folder is never indexed when it lives inside the tree.
  const storeAbs = resolve(workspace, inputs.storePath);
  const storeDir = storeAbs.endsWith('.db') ? dirname(storeAbs) : storeAbs;
  const rel = relative(root, storeDir).split(sep).join('/');
  const own = !inputs.qdrantUrl && rel && !rel.startsWith('..') && !isAbsolute(rel) ? [rel, `${rel}/**`] : [];
  const exclude = [...inputs.exclude, ...own];
  const reader = await openSourceReader(root, {
    maxFileBytes: inputs.maxFileBytes,
    ...(inputs.include.length > 0 ? { include: inputs.include } : {}),
    ...(exclude.length > 0 ? { exclude } : {}),
  });
  return reader;
}
