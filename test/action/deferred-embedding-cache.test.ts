import { describe, expect, it } from 'vitest';
import {
  ASSUMED_RESTORE_BYTES_PER_SECOND,
  ASSUMED_RESTORE_FIXED_MS,
  DEFAULT_MAX_BUFFERED,
  DeferredRestoreCache,
  estimateRestoreMs,
  MeteredEmbedder,
  UNKNOWN_SIZE_RESTORE_MS,
} from '../../src/action/deferred-embedding-cache.js';
import type { Embedder, EmbeddingCache } from '../../src/core/ports.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** In-memory cache standing in for the restored SQLite file. */
class MapCache implements EmbeddingCache {
  readonly stats = { hits: 0, misses: 0 };
  closed = false;
  constructor(readonly entries = new Map<string, Float32Array>()) {}
  getMany(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    for (const k of new Set(keys)) {
      const v = this.entries.get(k);
      if (v) found.set(k, v);
    }
    this.stats.hits += found.size;
    this.stats.misses += new Set(keys).size - found.size;
    return Promise.resolve(found);
  }
  putMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    for (const [k, v] of entries) this.entries.set(k, v);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const vec = (x: number) => new Float32Array([x, 0]);

function setup(
  cost: number | null,
  restoredEntries: Array<[string, number]> = [],
  maxBuffered?: number,
  minRestoreMs?: number,
) {
  const log: string[] = [];
  let spent = 0;
  const restored = new MapCache(new Map(restoredEntries.map(([k, x]) => [k, vec(x)])));
  const fresh = new MapCache();
  let costCalls = 0;
  const cache = new DeferredRestoreCache({
    restoreCostMs: () => {
      costCalls++;
      return Promise.resolve(cost);
    },
    open: (restore) => {
      log.push(restore ? 'restore' : 'fresh');
      return Promise.resolve(restore ? restored : fresh);
    },
    embeddingMs: () => spent,
    logger: silent,
    ...(maxBuffered !== undefined ? { maxBuffered } : {}),
    ...(minRestoreMs !== undefined ? { minRestoreMs } : {}),
  });
  return {
    cache,
    log,
    restored,
    fresh,
    costCalls: () => costCalls,
    spend: (ms: number) => {
      spent += ms;
    },
  };
}

describe('estimateRestoreMs', () => {
  it('is the fixed part plus the size at the assumed throughput; unknown sizes get the fallback', () => {
    expect(estimateRestoreMs(0)).toBe(ASSUMED_RESTORE_FIXED_MS);
    expect(estimateRestoreMs(ASSUMED_RESTORE_BYTES_PER_SECOND * 3)).toBe(ASSUMED_RESTORE_FIXED_MS + 3000);
    expect(estimateRestoreMs(null)).toBe(UNKNOWN_SIZE_RESTORE_MS);
  });
});

describe('DeferredRestoreCache (ski rental)', () => {
  it('misses without restoring while embedding has cost less than the restore; restores once it has cost as much', async () => {
    const t = setup(1000, [['a', 1], ['b', 2]]);
    expect(await t.cache.getMany(['a', 'b'])).toEqual(new Map());
    expect(t.log).toEqual([]);
    await t.cache.putMany([['c', vec(3)]]); // embedded before the restore: buffered
    t.spend(999);
    expect((await t.cache.getMany(['a'])).size).toBe(0);
    expect(t.cache.state).toBe('deferred');
    t.spend(1);
    const found = await t.cache.getMany(['a', 'b', 'c', 'x']);
    expect(t.log).toEqual(['restore']);
    expect(t.cache.state).toBe('restored');
    expect([...found.keys()].sort()).toEqual(['a', 'b', 'c']);
    // The buffered vector was written into the restored cache, so the next run finds it.
    expect(t.restored.entries.get('c')).toEqual(vec(3));
    // Stats add the deferred misses (2 + 1) to the restored cache's (3 hits, 1 miss).
    expect(t.cache.stats).toEqual({ hits: 3, misses: 4 });
    expect(t.costCalls()).toBe(1);
    await t.cache.putMany([['d', vec(4)]]);
    expect(t.restored.entries.get('d')).toEqual(vec(4));
    await t.cache.close();
    expect(t.restored.closed).toBe(true);
  });

  it('opens an empty cache at once when there is no entry to restore (the first run saves one)', async () => {
    const t = setup(null);
    await t.cache.putMany([['early', vec(1)]]);
    expect(await t.cache.getMany(['early', 'x'])).toEqual(new Map([['early', vec(1)]]));
    expect(t.log).toEqual(['fresh']);
    expect(t.cache.state).toBe('fresh');
    expect(t.cache.opened).toBe(true);
    expect(t.cache.estimatedRestoreMs).toBeNull();
  });

  it('never opens when embedding stays cheap: nothing to save, close is safe', async () => {
    const t = setup(5000);
    for (let i = 0; i < 10; i++) {
      await t.cache.getMany([`k${i}`]);
      await t.cache.putMany([[`k${i}`, vec(i)]]);
      t.spend(100);
    }
    expect(t.cache.opened).toBe(false);
    expect(t.cache.stats).toEqual({ hits: 0, misses: 10 });
    expect(t.cache.estimatedRestoreMs).toBe(5000);
    await t.cache.close();
    expect(t.log).toEqual([]);
  });

  it('does not ask for the restore cost (no look-up) until embedding has cost minRestoreMs', async () => {
    const t = setup(null, [], undefined, 1000);
    await t.cache.getMany(['a']);
    await t.cache.putMany([['a', vec(1)]]);
    t.spend(999);
    await t.cache.getMany(['b']);
    expect(t.costCalls()).toBe(0);
    expect(t.cache.estimatedRestoreMs).toBeUndefined();
    expect(t.cache.opened).toBe(false);
    t.spend(1);
    // Now it looks up: no entry, so an empty cache opens and receives what was embedded so far.
    expect(await t.cache.getMany(['a'])).toEqual(new Map([['a', vec(1)]]));
    expect(t.costCalls()).toBe(1);
    expect(t.log).toEqual(['fresh']);
  });

  it('bounds the vectors it holds before the restore and counts the ones it drops', async () => {
    const t = setup(10, [], 2);
    await t.cache.putMany([['a', vec(1)], ['b', vec(2)], ['c', vec(3)], ['a', vec(9)]]);
    expect(t.cache.droppedFromBuffer).toBe(1);
    t.spend(10);
    await t.cache.getMany(['a']);
    expect([...t.restored.entries.keys()].sort()).toEqual(['a', 'b']);
    expect(t.restored.entries.get('a')).toEqual(vec(9));
    expect(DEFAULT_MAX_BUFFERED).toBeGreaterThan(1000);
  });

  it('concurrent look-ups at the switch restore once', async () => {
    const t = setup(0, [['a', 1]]);
    const [x, y] = await Promise.all([t.cache.getMany(['a']), t.cache.getMany(['a'])]);
    expect(t.log).toEqual(['restore']);
    expect(x.size + y.size).toBeGreaterThanOrEqual(1);
  });
});

describe('MeteredEmbedder', () => {
  it('adds up the time and texts of embedDocuments and passes everything through', async () => {
    const inner: Embedder = {
      info: { id: 'm', revision: 'r', dims: 2 } as Embedder['info'],
      device: 'cpu',
      tokenCounter: { count: () => 1 },
      embedDocuments: async (texts) => {
        await new Promise((r) => setTimeout(r, 20));
        return texts.map(() => vec(1));
      },
      embedQuery: () => Promise.resolve(vec(2)),
      close: () => Promise.resolve(),
    };
    const metered = new MeteredEmbedder(inner);
    expect(await metered.embedDocuments(['a', 'b'])).toHaveLength(2);
    expect(metered.textsEmbedded).toBe(2);
    expect(metered.embeddingMs).toBeGreaterThanOrEqual(15);
    expect(await metered.embedQuery('q')).toEqual(vec(2));
    expect(metered.info.id).toBe('m');
    expect(metered.device).toBe('cpu');
    expect(metered.offThread).toBe(false);
    expect(metered.modelDir).toBeUndefined();
  });

  it('forwards offThread and modelDir, so indexTree still overlaps a worker embedder behind it', () => {
    const inner = { offThread: true, modelDir: '/models/x' } as unknown as Embedder;
    const metered = new MeteredEmbedder(inner);
    expect(metered.offThread).toBe(true);
    expect(metered.modelDir).toBe('/models/x');
  });
});
