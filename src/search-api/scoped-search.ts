/**
 * @module search-api/scoped-search — runs a search inside a principal's repository scope.
 *
 * The store filters by one repository at a time (`SearchFilter.repo`), so a search with no `repo`
 * by a principal who may not read everything runs once per readable indexed repository and merges
 * the hits by score (a post-filter of one unscoped query would be simpler but returns fewer than `k`
 * results whenever other tenants rank higher). Every hit is checked against the scope again before it
 * leaves: a store that ignored a filter still leaks nothing.
 */
import { permalink } from '../core/identity.js';
import type { VectorStore } from '../core/ports.js';
import type { SearchService } from '../core/search-service.js';
import type { SearchFilter, SearchHit, SearchMode } from '../core/types.js';
import type { Principal } from './auth.js';
import type { SearchParams } from './search-params.js';

/** Longest snippet returned per hit, in characters (chunks are ≤ 512 model tokens, so rarely longer). */
export const SNIPPET_MAX_CHARS = 4_000;
/** Per-repository queries run at once in a fan-out (bounded so one request cannot flood the store). */
export const FANOUT_CONCURRENCY = 4;

/** One result as the API returns it. */
export interface SearchResult {
  readonly repo: string;
  readonly ref: string;
  /** Commit the chunk was indexed at (40 hex), or null for an index of a plain directory. */
  readonly commit: string | null;
  readonly path: string;
  readonly language: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly symbol: string | null;
  readonly symbolKind: string;
  /** The chunk's code, cut at SNIPPET_MAX_CHARS (then `truncated` is true). */
  readonly snippet: string;
  readonly truncated: boolean;
  /** RRF score in hybrid mode, else the retriever's own score; higher is better. */
  readonly score: number;
  /** GitHub link to the lines at the indexed commit (at the ref when the commit is unknown). */
  readonly permalink: string;
}

/** What a scoped search returns. */
export interface ScopedSearchResult {
  readonly results: SearchResult[];
  /** The mode actually used (hybrid becomes lexical on a lexical-only index). */
  readonly mode: SearchMode;
  /** Number of store queries run (1, or one per readable repository). */
  readonly queries: number;
}

function toResult(hit: SearchHit): SearchResult {
  const truncated = hit.text.length > SNIPPET_MAX_CHARS;
  return {
    repo: hit.repo,
    ref: hit.ref,
    commit: hit.commit,
    path: hit.path,
    language: hit.language,
    startLine: hit.startLine,
    endLine: hit.endLine,
    symbol: hit.symbol,
    symbolKind: hit.symbolKind,
    snippet: truncated ? hit.text.slice(0, SNIPPET_MAX_CHARS) : hit.text,
    truncated,
    score: hit.score,
    permalink: permalink(hit),
  };
}

/** Highest score first; ties by repo, path, line so that results are stable across runs. */
function compareHits(a: SearchHit, b: SearchHit): number {
  return (
    b.score - a.score ||
    a.repo.localeCompare(b.repo) ||
    a.path.localeCompare(b.path) ||
    a.startLine - b.startLine
  );
}

/**
 * Runs `params` as `principal`. The caller has already checked `params.repo` against the scope
 * (403 otherwise); this function enforces the scope on everything it returns regardless.
 * Errors of the service (InvalidQueryError) and the store (VectorStoreError) propagate.
 */
export async function scopedSearch(
  service: SearchService,
  store: VectorStore,
  principal: Principal,
  params: SearchParams,
): Promise<ScopedSearchResult> {
  const base: SearchFilter = {
    ...(params.ref !== undefined ? { ref: params.ref } : {}),
    ...(params.path !== undefined ? { pathPrefix: params.path } : {}),
    ...(params.lang !== undefined ? { language: params.lang } : {}),
    ...(params.kind !== undefined ? { symbolKind: params.kind } : {}),
  };
  const run = (repo: string | undefined) =>
    service.search({
      query: params.q,
      k: params.k,
      mode: params.mode,
      filter: repo === undefined ? base : { ...base, repo },
    });

  let repos: Array<string | undefined>;
  if (params.repo !== undefined) repos = [params.repo];
  else if (principal.readsAll) repos = [undefined];
  else {
    const indexed = new Set((await store.listStates()).map((s) => s.repo));
    repos = [...indexed].filter((r) => principal.canRead(r)).sort();
  }
  if (repos.length === 0) {
    // Nothing readable is indexed: an empty result (the query itself was validated at the edge).
    return { results: [], mode: params.mode, queries: 0 };
  }

  const hits: SearchHit[] = [];
  let mode: SearchMode = params.mode;
  for (let i = 0; i < repos.length; i += FANOUT_CONCURRENCY) {
    const batch = await Promise.all(repos.slice(i, i + FANOUT_CONCURRENCY).map(run));
    for (const response of batch) {
      mode = response.mode;
      hits.push(...response.hits);
    }
  }
  const allowed = hits.filter((h) => principal.canRead(h.repo));
  allowed.sort(compareHits);
  return { results: allowed.slice(0, params.k).map(toResult), mode, queries: repos.length };
}
