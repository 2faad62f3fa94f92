/**
 * @module action/actions-cache — persists the embedding cache and the model files across runs with
 * the GitHub Actions cache (@actions/cache). A failure of the cache service is a warning, never a
 * failed job (toolkit's own policy for `restoreCache`): the run goes on cold.
 *
 * Keys (Actions cache entries are immutable, so the embedding cache gets a new key per run and is
 * found again by prefix, newest first — the pattern of actions/cache's docs, "Update a cache"):
 * - embedding cache: `codeidx-emb-<model>-<ref>-<run id>-<attempt>-<size>kib`, restored from
 *   `codeidx-emb-<model>-<ref>-` (same ref), then `codeidx-emb-<model>-` (any ref: a new branch
 *   starts from its parent's vectors). Its size is bounded by `SqliteEmbeddingCache`, which prunes
 *   least-recently-used entries on close, before the save. The size suffix (the file's KiB when it
 *   was saved) lets a run estimate the restore time from a look-up alone (`lookupEntry`), before it
 *   decides whether to download the entry (action/deferred-embedding-cache).
 * - model files: `codeidx-model-<model>`, immutable as the model revision is pinned.
 */
import * as core from '@actions/core';
import { describeError } from '../core/errors.js';

let loaded: Promise<typeof import('@actions/cache')> | undefined;

/**
 * `@actions/cache`, imported on first use: it loads the Azure storage SDK, about 0.5 s of a run's
 * start (`node -e "await import('@actions/cache')"`: 484 ms here), which a run that never touches the
 * cache service (small push, `cache-restore: lazy`) does not pay.
 */
function actionsCache(): Promise<typeof import('@actions/cache')> {
  return (loaded ??= import('@actions/cache'));
}

/** Cache key segment: lowercase, [a-z0-9._-] only, at most 100 characters (keys are capped at 512). */
export function keySegment(value: string): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 100) || '_'
  );
}

/** Keys of the embedding cache of one run. */
export interface EmbeddingCacheKeys {
  readonly key: string;
  readonly restoreKeys: readonly string[];
}

/** See the module comment. `model` is the model spec or id@revision, `ref` the full ref. */
export function embeddingCacheKeys(
  model: string,
  ref: string,
  runId: string,
  runAttempt: string,
): EmbeddingCacheKeys {
  const modelPrefix = `codeidx-emb-${keySegment(model)}-`;
  const refPrefix = `${modelPrefix}${keySegment(ref)}-`;
  return {
    key: `${refPrefix}${keySegment(runId)}-${keySegment(runAttempt)}`,
    restoreKeys: [refPrefix, modelPrefix],
  };
}

/** The key under which a run saves an embedding cache file of `bytes` bytes: `base` + size suffix. */
export function sizedKey(base: string, bytes: number): string {
  return `${base}-${Math.ceil(bytes / 1024)}kib`;
}

/** The size in bytes recorded in a key made by `sizedKey`, or null (an entry saved without one). */
export function sizeFromKey(key: string): number | null {
  const m = /-(\d+)kib$/.exec(key);
  return m ? Number(m[1]) * 1024 : null;
}

/** Key of the model files. */
export function modelCacheKey(model: string): string {
  return `codeidx-model-${keySegment(model)}`;
}

/** Whether the Actions cache service can be used in this run (false outside GitHub-hosted or self-hosted runners with the cache). */
export async function cacheAvailable(): Promise<boolean> {
  try {
    return (await actionsCache()).isFeatureAvailable();
  } catch (error) {
    core.warning(
      `cannot tell whether the Actions cache is available: ${describeError(error)}; running without it`,
    );
    return false;
  }
}

/**
 * Restores `paths` from the first matching key. Returns the key restored, or null on a miss or a
 * failure (which is a warning).
 */
export function restorePaths(
  label: string,
  paths: string[],
  key: string,
  restoreKeys: readonly string[] = [],
): Promise<string | null> {
  return matchEntry(label, paths, key, restoreKeys, false);
}

/**
 * Looks up the entry that `restorePaths` would restore, without downloading it (`lookupOnly`).
 * Returns its key, or null on a miss or a failure (which is a warning).
 */
export function lookupEntry(
  label: string,
  paths: string[],
  key: string,
  restoreKeys: readonly string[] = [],
): Promise<string | null> {
  return matchEntry(label, paths, key, restoreKeys, true);
}

async function matchEntry(
  label: string,
  paths: string[],
  key: string,
  restoreKeys: readonly string[],
  lookupOnly: boolean,
): Promise<string | null> {
  try {
    const hit = await (await actionsCache()).restoreCache(paths, key, [...restoreKeys], { lookupOnly });
    if (!hit) core.info(`${label}: no cache entry for ${key}`);
    else if (!lookupOnly) core.info(`${label}: restored from cache key ${hit}`);
    return hit ?? null;
  } catch (error) {
    const what = lookupOnly ? 'look-up' : 'restore';
    core.warning(`${label}: cache ${what} failed (${describeError(error)}); continuing without it`);
    return null;
  }
}

/** Saves `paths` under `key`. Returns true on success; a failure is a warning. */
export async function savePaths(label: string, paths: string[], key: string): Promise<boolean> {
  try {
    const id = await (await actionsCache()).saveCache(paths, key);
    if (id === -1) {
      core.warning(
        `${label}: cache save under ${key} did not complete (see the log above); the next run starts colder`,
      );
      return false;
    }
    core.info(`${label}: saved under cache key ${key}`);
    return true;
  } catch (error) {
    core.warning(`${label}: cache save failed (${describeError(error)}); the next run starts colder`);
    return false;
  }
}
