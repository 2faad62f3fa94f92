/**
 * The search use case shared by every surface (CLI, API, App): validates a query, embeds it
 * (through an LRU cache of query embeddings) and asks the store for ranked hits.
 *
 * @module core/search-service
 */
import { LRUCache } from 'lru-cache';
import { CodeidxError } from './errors.js';
import { MAX_QUERY_CHARS, queryProblem } from './query-check.js';
import { DEFAULT_FUSION, type HybridFusion } from './fusion.js';
import type { Embedder, VectorStore } from './ports.js';
import type { SearchFilter, SearchHit, SearchMode } from './types.js';

/** Longest query accepted, in characters (see core/query-check). Longer queries are rejected, not truncated. */
export { MAX_QUERY_CHARS };
/** Most results one query may ask for. */
export const MAX_K = 100;
/** Results returned when `k` is not given. */
export const DEFAULT_K = 10;

/** A query that cannot be run as given (empty, too long, bad `k`, a mode the index cannot serve). */
export class InvalidQueryError extends CodeidxError {}

/** What a caller asks for. */
export interface SearchRequest {
  readonly query: string;
  /** 1..MAX_K, default DEFAULT_K. */
  readonly k?: number;
  /** Default `hybrid`. */
  readonly mode?: SearchMode;
  readonly filter?: SearchFilter;
}

/** Ranked hits plus how the query was actually served. */
export interface SearchResponse {
  readonly hits: SearchHit[];
  /** The mode used: `hybrid` becomes `lexical` on a lexical-only index. */
  readonly mode: SearchMode;
  /** Whether the query vector came from the LRU cache (null when no vector was needed). */
  readonly queryEmbeddingCached: boolean | null;
  /** Wall time in milliseconds: embedding and store query. */
  readonly embedMs: number;
  readonly storeMs: number;
}

/** Options of `SearchService`. */
export interface SearchServiceOptions {
  readonly store: VectorStore;
  /** Null for a lexical-only index. */
  readonly embedder: Embedder | null;
  /** Entries of the query-embedding LRU cache (default 1,000). */
  readonly queryCacheSize?: number;
  /** Monotonic clock in ms, injectable for tests (default `performance.now`). */
  readonly now?: () => number;
  /**
   * Hybrid fusion for every query, overriding the model's own (`ModelInfo.fusion`) and the default
   * (`codeidx eval --rrf-k/--rrf-weights` compares settings with it).
   */
  readonly fusion?: HybridFusion;
}

/** Runs searches against one store with one embedder. */
export class SearchService {
  private readonly store: VectorStore;
  private readonly embedder: Embedder | null;
  private readonly queryCache: LRUCache<string, Float32Array>;
  private readonly now: () => number;
  private readonly fusion: HybridFusion;
  /** Query-embedding cache hits and misses since start (for /metrics and summaries). */
  readonly queryCacheStats = { hits: 0, misses: 0 };

  constructor(options: SearchServiceOptions) {
    this.store = options.store;
    this.embedder = options.embedder;
    this.queryCache = new LRUCache({ max: options.queryCacheSize ?? 1_000 });
    this.now = options.now ?? (() => performance.now());
    this.fusion = options.fusion ?? options.embedder?.info.fusion ?? DEFAULT_FUSION;
  }

  /** Whether this service can run dense (semantic) queries. */
  get hasEmbedder(): boolean {
    return this.embedder !== null;
  }

  /**
   * Runs one query.
   * @throws InvalidQueryError for an empty or over-long query, `k` out of 1..MAX_K, or `semantic`
   *   on a lexical-only index. Store and embedder errors propagate unchanged.
   */
  async search(request: SearchRequest): Promise<SearchResponse> {
    const query = request.query.trim();
    const problem = queryProblem(query, MAX_QUERY_CHARS);
    if (problem !== null) {
      throw new InvalidQueryError(problem, {
        hint:
          query.length > MAX_QUERY_CHARS
            ? 'shorten the query to the words that matter'
            : 'search for words or identifiers, e.g. "parse config"',
      });
    }
    const k = request.k ?? DEFAULT_K;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
      throw new InvalidQueryError(`k must be an integer from 1 to ${MAX_K}, got ${k}`);
    }
    let mode: SearchMode = request.mode ?? 'hybrid';
    if (this.embedder === null) {
      if (mode === 'semantic') {
        throw new InvalidQueryError('semantic search needs an embedding model, and this index is lexical-only', {
          hint: 'use --mode lexical, or re-index with a model (--model)',
        });
      }
      mode = 'lexical';
    }

    let vector: Float32Array | null = null;
    let cached: boolean | null = null;
    const t0 = this.now();
    if (mode !== 'lexical' && this.embedder) {
      const hit = this.queryCache.get(query);
      if (hit) {
        this.queryCacheStats.hits++;
        vector = hit;
        cached = true;
      } else {
        this.queryCacheStats.misses++;
        vector = await this.embedder.embedQuery(query);
        this.queryCache.set(query, vector);
        cached = false;
      }
    }
    const t1 = this.now();
    const hits = await this.store.query({ text: query, vector, mode, k, filter: request.filter ?? {}, fusion: this.fusion });
    const t2 = this.now();
    return { hits, mode, queryEmbeddingCached: cached, embedMs: t1 - t0, storeMs: t2 - t1 };
  }
}
