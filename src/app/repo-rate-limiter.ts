/**
 * @module app/repo-rate-limiter — in-memory sliding-window rate limit per repository.
 *
 * Each repository may run `limit` searches in any `windowMs` window (a sliding log of at most
 * `limit` timestamps per repository: exact, and bounded memory). The set of repositories tracked is
 * an LRU bounded by `maxRepos`, so a flood of installations cannot grow memory without bound.
 * In memory only: each process counts on its own (several replicas each allow `limit`).
 */
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../core/errors.js';

/** Searches allowed per repository and window. */
export interface RateLimitSettings {
  /** Searches per window and repository (≥ 1). */
  readonly limit: number;
  /** Window length in milliseconds (≥ 1). */
  readonly windowMs: number;
  /** Most repositories tracked at once (least recently used dropped first). Default 10,000. */
  readonly maxRepos?: number;
}

/** Default: 10 searches per minute per repository. */
export const DEFAULT_APP_RATE_LIMIT: RateLimitSettings = { limit: 10, windowMs: 60_000 };

/** Outcome of `take`. `retryAfterMs` is 0 when allowed. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Milliseconds until the next search of this repository would be allowed. */
  readonly retryAfterMs: number;
}

/** Sliding-window counter per repository. */
export class RepoRateLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly hits: LRUCache<string, number[]>;
  private readonly now: () => number;

  /**
   * @param now wall clock in milliseconds (default `Date.now`); only differences matter.
   * @throws ConfigError when `limit` or `windowMs` is not a positive integer.
   */
  constructor(settings: RateLimitSettings, now: () => number = Date.now) {
    if (
      !Number.isInteger(settings.limit) ||
      settings.limit < 1 ||
      !Number.isInteger(settings.windowMs) ||
      settings.windowMs < 1
    ) {
      throw new ConfigError(`invalid rate limit ${settings.limit} per ${settings.windowMs} ms`, {
        hint: 'the limit and the window must be positive integers',
      });
    }
    this.limit = settings.limit;
    this.windowMs = settings.windowMs;
    this.hits = new LRUCache({ max: settings.maxRepos ?? 10_000 });
    this.now = now;
  }

  /** Counts one search of `repo` if the window allows it. */
  take(repo: string): RateLimitDecision {
    const t = this.now();
    const log = (this.hits.get(repo) ?? []).filter((at) => t - at < this.windowMs);
    if (log.length >= this.limit) {
      this.hits.set(repo, log);
      return { allowed: false, retryAfterMs: Math.max(1, log[0] + this.windowMs - t) };
    }
    log.push(t);
    this.hits.set(repo, log);
    return { allowed: true, retryAfterMs: 0 };
  }
}
