/**
 * BM25 as Qdrant sparse vectors (DESIGN.md, "Search": sparse vectors with the `idf` modifier).
 *
 * Qdrant scores a sparse query q against a document d as Σ_t idf(t) · q_t · d_t when the collection's
 * sparse vector has `modifier: "idf"`, with idf(t) = ln((N − n(t) + 0.5) / (n(t) + 0.5) + 1) computed by
 * the server over the whole collection. BM25 (Robertson & Zaragoza, "The Probabilistic Relevance
 * Framework: BM25 and Beyond", 2009) is Σ_t idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)), so the
 * document side stores the **saturated term frequency** and the query side stores 1 per distinct query
 * token: the server's score is then exactly BM25 with a fixed average document length. This is the
 * scheme of Qdrant's own `Qdrant/bm25` sparse model in FastEmbed (k1 = 1.2, b = 0.75, avg_len = 256).
 *
 * Tokens come from core `lexicalTokens` (code-aware: camelCase/snake_case split, whole identifier kept).
 * Fields are weighted as in the SQLite store's FTS5 bm25 (symbol 3, path 1.5, code 1): a field's
 * weight multiplies the term frequency before saturation.
 *
 * Sparse indices are the **FNV-1a 32-bit hash** (Fowler–Noll–Vo, IETF draft-eastlake-fnv) of the
 * token's UTF-8 bytes: stable across processes, platforms and versions (never change it: every stored
 * vector would silently stop matching). Two tokens that collide share one dimension; their weights
 * are summed (Qdrant requires unique indices). At 2^32 buckets collisions are negligible for a code
 * vocabulary (~10^6 distinct tokens → ~10^-4 of tokens collide with some other token).
 *
 * @module adapters/qdrant/bm25-sparse-vector
 */
import { lexicalTokens, queryTokens } from '../../core/lexical-tokens.js';

/** BM25 term-frequency saturation k1 (Robertson & Zaragoza 2009; FastEmbed `Qdrant/bm25` default). */
export const BM25_K1 = 1.2;
/** BM25 length normalisation b (same sources). */
export const BM25_B = 0.75;
/**
 * Average document length in weighted tokens assumed by the length normalisation. Qdrant cannot
 * compute avgdl server-side, so it is a constant, as in FastEmbed's `Qdrant/bm25` (avg_len = 256).
 */
export const BM25_AVG_DOC_LENGTH = 256;
/** Field weights, the same as the SQLite store's FTS5 bm25 column weights. */
export const BM25_FIELD_WEIGHTS = { symbol: 3, path: 1.5, text: 1 } as const;

/** A Qdrant sparse vector: unique uint32 indices with their values (same length). */
export interface SparseVector {
  indices: number[];
  values: number[];
}

const encoder = new TextEncoder();

/** FNV-1a 32-bit hash of the UTF-8 bytes of `token`, as an unsigned integer (0 … 2^32 − 1). */
export function tokenIndex(token: string): number {
  let hash = 0x811c9dc5; // FNV offset basis
  for (const byte of encoder.encode(token)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193); // FNV prime 16777619
  }
  return hash >>> 0;
}

/** The fields of a chunk that feed the lexical index. */
export interface LexicalFields {
  readonly symbol: string | null;
  readonly path: string;
  readonly text: string;
}

function toSparse(weights: Map<number, number>): SparseVector {
  const entries = [...weights].sort((a, b) => a[0] - b[0]);
  return { indices: entries.map((e) => e[0]), values: entries.map((e) => e[1]) };
}

/**
 * Document-side vector: for each token, the BM25-saturated weighted term frequency
 * w·(k1+1) / (w + k1·(1 − b + b·dl/avgdl)), w = Σ field weight × tf in that field, dl = Σ w.
 * Returns null when the fields hold no lexical token (the point is then not lexically searchable).
 */
export function documentSparseVector(fields: LexicalFields): SparseVector | null {
  const tf = new Map<string, number>();
  const add = (text: string, weight: number): void => {
    for (const token of lexicalTokens(text)) tf.set(token, (tf.get(token) ?? 0) + weight);
  };
  if (fields.symbol) add(fields.symbol, BM25_FIELD_WEIGHTS.symbol);
  add(fields.path, BM25_FIELD_WEIGHTS.path);
  add(fields.text, BM25_FIELD_WEIGHTS.text);
  if (tf.size === 0) return null;
  let dl = 0;
  for (const w of tf.values()) dl += w;
  const norm = BM25_K1 * (1 - BM25_B + (BM25_B * dl) / BM25_AVG_DOC_LENGTH);
  const weights = new Map<number, number>();
  for (const [token, w] of tf) {
    const index = tokenIndex(token);
    weights.set(index, (weights.get(index) ?? 0) + (w * (BM25_K1 + 1)) / (w + norm));
  }
  return toSparse(weights);
}

/**
 * Query-side vector: 1 per distinct query token (`queryTokens`, at most 64), so that the server's
 * score is Σ idf(t) · saturated tf(t). Null when the query has no lexical token.
 */
export function querySparseVector(text: string): SparseVector | null {
  const tokens = queryTokens(text);
  if (tokens.length === 0) return null;
  const weights = new Map<number, number>();
  for (const token of tokens) {
    const index = tokenIndex(token);
    weights.set(index, (weights.get(index) ?? 0) + 1);
  }
  return toSparse(weights);
}
