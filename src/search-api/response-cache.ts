/**
 * @module search-api/response-cache — a bounded LRU cache of search responses for the API, keyed by
 * (principal, query, filters, mode, k), emptied whenever the store's index states change.
 *
 * Correctness rules:
 * - The principal's id is part of the key: two tokens (or a token and anonymous callers) never share
 *   an entry, even for the same query, because their repository scopes may differ.
 * - The query is the validated `q` (trimmed by search-params) as is: no case or inner-whitespace
 *   folding, since an embedding model may tell those apart.
 * - Freshness: at most once per `checkIntervalMs` (default 1 s) the cache reads `store.listStates()`
 *   and compares a fingerprint of every (repo, ref, commit, pendingCommit, status, startedAt,
 *   completedAt, model, chunkerVersion); any change empties it. So an answer is at most
 *   `checkIntervalMs` older than the last completed index run. While any ref is being indexed
 *   (`in_progress`), the cache is bypassed (its points change under the run).
 * - Identical concurrent misses run once (the later callers await the first one's promise); a
 *   failure is not cached.
 * - Bounded by the approximate size of the cached results (snippets dominate), not only by count.
 */
import { LRUCache } from 'lru-cache';
import type { VectorStore } from '../core/ports.js';
import type { IndexState } from '../core/types.js';
import type { Principal } from './auth.js';
import type { ScopedSearchResult } from './scoped-search.js';
import type { SearchParams } from './search-params.js';

/** Options of `ResponseCache`. */
export interface ResponseCacheOptions {
  /** Most entries (default 1,000). */
  readonly maxEntries?: number;
  /** Most bytes of cached results, approximated as 2 bytes per character of text + 256 per result (default 64 MiB). */
  readonly maxBytes?: number;
  /** Shortest interval between two checks of the store's index states, ms (default 1,000). */
  readonly checkIntervalMs?: number;
  /** Monotonic clock in ms, injectable for tests (default `performance.now`). */
  readonly now?: () => number;
}

/** Hits, misses and bypasses since start, and how many times the states changed. */
export interface ResponseCacheStats {
  hits: number;
  misses: number;
  /** Requests served without the cache because a ref was being indexed. */
  bypassed: number;
  invalidations: number;
}

/** The cache key of a request: principal id and every parameter that shapes the answer. */
export function responseCacheKey(principal: Principal, params: SearchParams): string {
  return JSON.stringify([
    principal.id,
    params.q,
    params.k,
    params.mode,
    params.repo ?? null,
    params.ref ?? null,
    params.path ?? null,
    params.lang ?? null,
    params.kind ?? null,
  ]);
}

function fingerprint(states: readonly IndexState[]): string {
  return JSON.stringify(
    states
      .map((s) => [s.repo, s.ref, s.commit, s.pendingCommit, s.status, s.startedAt, s.completedAt, s.model, s.chunkerVersion])
      .sort((a, b) => `${a[0]}\n${a[1]}`.localeCompare(`${b[0]}\n${b[1]}`)),
  );
}

function approximateBytes(result: ScopedSearchResult): number {
  let bytes = 256;
  for (const r of result.results) bytes += 256 + 2 * (r.snippet.length + r.path.length + r.permalink.length);
  return bytes;
}

/** A response cache in front of `scopedSearch`; see the module comment for the rules. */
export class ResponseCache {
  readonly stats: ResponseCacheStats = { hits: 0, misses: 0, bypassed: 0, invalidations: 0 };
  private readonly done: LRUCache<string, ScopedSearchResult>;
  private readonly inflight = new Map<string, Promise<ScopedSearchResult>>();
  private readonly checkIntervalMs: number;
  private readonly now: () => number;
  private lastCheck = Number.NEGATIVE_INFINITY;
  private lastFingerprint: string | null = null;
  private indexing = false;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly store: VectorStore,
    options: ResponseCacheOptions = {},
  ) {
    this.done = new LRUCache({
      max: options.maxEntries ?? 1_000,
      maxSize: options.maxBytes ?? 64 * 2 ** 20,
      sizeCalculation: approximateBytes,
    });
    this.checkIntervalMs = options.checkIntervalMs ?? 1_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Entries held now. */
  get size(): number {
    return this.done.size;
  }

  /**
   * The cached answer for `key`, or `compute()`'s (then cached unless a ref is being indexed).
   * Errors of `compute` and of `store.listStates` propagate; nothing is cached for them.
   */
  async get(key: string, compute: () => Promise<ScopedSearchResult>): Promise<ScopedSearchResult> {
    await this.refresh();
    if (this.indexing) {
      this.stats.bypassed++;
      return compute();
    }
    const hit = this.done.get(key);
    if (hit !== undefined) {
      this.stats.hits++;
      return hit;
    }
    const pending = this.inflight.get(key);
    if (pending !== undefined) {
      this.stats.hits++;
      return pending;
    }
    this.stats.misses++;
    const generation = this.lastFingerprint;
    const promise = compute();
    this.inflight.set(key, promise);
    try {
      const result = await promise;
      // Not cached when the states changed while it ran (it may predate the change).
      if (generation === this.lastFingerprint && !this.indexing) this.done.set(key, result);
      return result;
    } finally {
      if (this.inflight.get(key) === promise) this.inflight.delete(key);
    }
  }

  /** Empties the cache (e.g. after the process itself changed the store). */
  clear(): void {
    this.done.clear();
    this.inflight.clear();
  }

  private refresh(): Promise<void> {
    if (this.now() - this.lastCheck < this.checkIntervalMs) return Promise.resolve();
    this.checking ??= (async () => {
      try {
        const states = await this.store.listStates();
        const fp = fingerprint(states);
        if (fp !== this.lastFingerprint) {
          if (this.lastFingerprint !== null) this.stats.invalidations++;
          this.clear();
          this.lastFingerprint = fp;
        }
        this.indexing = states.some((s) => s.status === 'in_progress');
        this.lastCheck = this.now();
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }
}
