/**
 * A stand-in for `@actions/cache` (used with `vi.mock`): entries are folders copied into a temp
 * directory, matched like the real service (exact key, then each restore key as a prefix, newest
 * entry first). Its state lives on `globalThis` so that it survives `vi.resetModules()`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** State of the fake cache service, shared by every import. */
export interface FakeCacheState {
  readonly dir: string;
  entries: Array<{ key: string; dir: string }>;
  saved: string[];
  /** Keys downloaded by `restoreCache` (undefined for a miss). */
  restored: Array<string | undefined>;
  /** Keys found by `restoreCache` with `lookupOnly` (undefined for a miss): nothing downloaded. */
  lookedUp: Array<string | undefined>;
  failRestore: boolean;
  failSave: boolean;
}

const holder = globalThis as { __codeidxFakeCache?: FakeCacheState };

/** The shared state (created on first use). */
export function fakeCacheState(): FakeCacheState {
  holder.__codeidxFakeCache ??= {
    dir: fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-fake-cache-')),
    entries: [],
    saved: [],
    restored: [],
    lookedUp: [],
    failRestore: false,
    failSave: false,
  };
  return holder.__codeidxFakeCache;
}

export function isFeatureAvailable(): boolean {
  return true;
}

export function restoreCache(
  paths: string[],
  key: string,
  restoreKeys: string[] = [],
  options: { lookupOnly?: boolean } = {},
): Promise<string | undefined> {
  const state = fakeCacheState();
  if (state.failRestore) return Promise.reject(new Error('Cache service responded with 503'));
  const newestFirst = [...state.entries].reverse();
  const entry =
    newestFirst.find((e) => e.key === key) ??
    restoreKeys.map((p) => newestFirst.find((e) => e.key.startsWith(p))).find(Boolean);
  if (options.lookupOnly) {
    state.lookedUp.push(entry?.key);
    return Promise.resolve(entry?.key);
  }
  state.restored.push(entry?.key);
  if (!entry) return Promise.resolve(undefined);
  paths.forEach((p, i) => {
    const src = path.join(entry.dir, String(i));
    if (!fs.existsSync(src)) return;
    fs.rmSync(p, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.cpSync(src, p, { recursive: true });
  });
  return Promise.resolve(entry.key);
}

export function saveCache(paths: string[], key: string): Promise<number> {
  const state = fakeCacheState();
  if (state.failSave) return Promise.reject(new Error('Cache service responded with 500'));
  if (state.entries.some((e) => e.key === key)) {
    return Promise.reject(
      new Error(`Unable to reserve cache with key ${key}, another job may be creating this cache.`),
    );
  }
  const dir = path.join(state.dir, String(state.entries.length));
  paths.forEach((p, i) => {
    if (fs.existsSync(p)) fs.cpSync(p, path.join(dir, String(i)), { recursive: true });
  });
  state.entries.push({ key, dir });
  state.saved.push(key);
  return Promise.resolve(state.entries.length);
}
