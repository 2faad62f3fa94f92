/**
 * `VectorStore` on Qdrant (DESIGN.md: the shared, distributed store), through `@qdrant/js-client-rest`.
 *
 * Layout
 * - **One collection per embedding space**, every repository in it (multi-tenant by `repo`). Its name
 *   is derived from the space (`collectionName`); a lexical-only store (space null) has its own.
 * - Named vectors: `dense` (cosine, `space.dims`) and the sparse `lexical` (BM25 over code-aware tokens,
 *   `modifier: "idf"`, see `bm25-sparse-vector.ts`). A lexical-only collection has only `lexical`.
 * - Point ids are the core `pointId` UUIDs. Payload: repo, ref, commit, path, dirs, language, symbol,
 *   symbol_kind, start_line, end_line, content_hash, file_hash, text, and — only when the point carries
 *   its `ordinal` — `scope_line` (the chunk's scope line, or null) and `ordinal` (its position in the
 *   file), which `chunksOfPaths` returns so a renamed file's chunks can be rebuilt from the store.
 *   These two keys need no layout version bump: they are optional, and points written without them
 *   (by an older codeidx, or built without them) simply lack them and read back as null.
 * - Keyword payload indexes: repo (`is_tenant: true`), ref, path, dirs, language, symbol_kind,
 *   content_hash, and record/state_repo for index state.
 * - **Index state** lives in the same collection as one point per (repo, ref) with a deterministic id,
 *   **no vector at all** (so no dense or sparse search can ever return it) and a payload that uses none
 *   of the chunk keys (`record: "state"`, `state_repo`, `state_ref`, `state_json`): chunk filters on
 *   `repo`/`ref` never match it and `count()` excludes it. Keeping state beside the points means a new
 *   collection (model change) starts with no state and the old one keeps its own until it is dropped.
 *
 * Search uses the Query API server-side: dense `nearest`, sparse `nearest`, or both as `prefetch`
 * fused with `rrf` (the query's `fusion`, default k = 60 with equal weights, sent as `qdrantRrf` so that
 * Qdrant scores like the core's `reciprocalRankFusion`). Filters are applied inside each prefetch, before top-k.
 *
 * Model change without downtime: a store of the new space fills its new collection, then
 * `promoteAlias()` moves the collection alias (`aliasName`) to it in one atomic
 * `POST /collections/aliases` (delete + create). Queries go through the alias whenever it points at
 * this store's collection. `init()` creates the alias when there is none yet (the first index is served
 * as soon as it exists; its state says `in_progress` until the run completes).
 *
 * Reliability: writes are batched (`batchSize` points per request) with `wait=true`, so a call returns
 * only once Qdrant has applied it; every request is retried with exponential backoff (p-retry) on
 * 408/429/5xx, timeouts and connection errors; the final failure is a `VectorStoreError` naming the URL.
 * A failed upsert/delete throws, so the pipeline never writes a `complete` state after it.
 *
 * Scale options (constructor), with defaults:
 *
 * | option                   | default | Qdrant field                                  | why |
 * | ------------------------ | ------- | --------------------------------------------- | --- |
 * | `shardNumber`            | server  | `shard_number`                                | server default = one shard per node; set ≥ nodes × 2 to let a cluster grow |
 * | `replicationFactor`      | server  | `replication_factor` (1)                      | 2+ for high availability in a cluster |
 * | `writeConsistencyFactor` | server  | `write_consistency_factor` (1)                | replicas that must ack a write; ≤ replicationFactor |
 * | `onDiskVectors`          | `true`  | `vectors.dense.on_disk`, `sparse_vectors.lexical.index.on_disk` | originals on disk (mmap), RAM holds the int8 copy |
 * | `quantization`           | `'int8'`| `quantization_config.scalar` {int8, quantile 0.99, always_ram} | 4× less RAM for search; Qdrant rescores with the originals |
 * | `batchSize`              | 256     | points per upsert/delete request              | well under Qdrant's 32 MiB request limit for code chunks |
 * | `retries`                | 5       | —                                             | attempts after the first, backoff ×2 from `retryMinDelayMs` (250 ms) to `retryMaxDelayMs` (10 s) |
 * | `timeoutMs`              | 60 000  | client request timeout                        | per attempt |
 *
 * `on_disk` and `always_ram` are deprecated in Qdrant 1.19 in favour of `memory`, but they are still
 * accepted and also work on older 1.x servers, which `memory` does not.
 *
 * @module adapters/qdrant/qdrant-vector-store
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import pRetry from 'p-retry';
import { v5 as uuidv5 } from 'uuid';
import { ConfigError, VectorStoreError } from '../../core/errors.js';
import { DEFAULT_FUSION, type HybridFusion, qdrantRrfK } from '../../core/fusion.js';
import { POINT_ID_NAMESPACE, sha256Hex, spaceLabel } from '../../core/identity.js';
import type { Logger, StoredChunk, VectorStore } from '../../core/ports.js';
import {
  SYMBOL_KINDS,
  type EmbeddingSpace,
  type IndexState,
  type Point,
  type RefScope,
  type SearchFilter,
  type SearchHit,
  type StoreQuery,
  type SymbolKind,
} from '../../core/types.js';
import { documentSparseVector, querySparseVector, type SparseVector } from './bm25-sparse-vector.js';
import { isTransientQdrantError, retryAfterSecondsOf, toVectorStoreError } from './qdrant-errors.js';

/** Name of the dense named vector. */
export const DENSE_VECTOR = 'dense';
/** Name of the sparse (BM25) named vector. */
export const SPARSE_VECTOR = 'lexical';
/** Format tag stored in the collection metadata; bump `QDRANT_SCHEMA_VERSION` on layout changes. */
export const QDRANT_STORE_FORMAT = 'codeidx-qdrant';
/** Version of the collection layout (vectors, payload keys, sparse scheme). */
export const QDRANT_SCHEMA_VERSION = 1;
/** Payload fields with a keyword index; `repo` is the tenant key. */
export const KEYWORD_INDEXES: readonly string[] = [
  'repo',
  'ref',
  'path',
  'dirs',
  'language',
  'symbol_kind',
  'content_hash',
  'record',
  'state_repo',
];

const MAX_K = 1000;
/** Distinct values per `match.any` / ids per request in deletes and lookups. */
const IN_CHUNK = 256;
/** Page size of scrolls. */
const SCROLL_PAGE = 1000;
const STATE_RECORD = 'state';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `rrf` query of a hybrid search: Qdrant's k for the paper's (`qdrantRrfK`, so that both stores
 * score alike) and, unless both are 1, the weights of the two prefetches in their order (dense,
 * sparse). Leaving out equal weights keeps the request valid for Qdrant versions before weighted RRF.
 */
export function qdrantRrf(fusion: HybridFusion): { k: number; weights?: number[] } {
  const { semantic, lexical } = fusion.weights;
  return semantic === 1 && lexical === 1
    ? { k: qdrantRrfK(fusion.k) }
    : { k: qdrantRrfK(fusion.k), weights: [semantic, lexical] };
}

/** Candidates fetched per retriever before RRF (same rule as the SQLite store): min(max(4k, 50), 4096). */
export function candidateCount(k: number): number {
  return Math.min(Math.max(k * 4, 50), 4096);
}

/** Options of `QdrantVectorStore`. Only `url` and `space` are required. */
export interface QdrantVectorStoreOptions {
  /** Base URL of the REST API, e.g. "http://localhost:6333" or "https://xyz.cloud.qdrant.io:6333". */
  readonly url: string;
  /** API key (sent as the `api-key` header); use https with it. */
  readonly apiKey?: string;
  /** Embedding space of the store, or null for a lexical-only store. */
  readonly space: EmbeddingSpace | null;
  /** Prefix of derived collection names and the default alias (default "codeidx"; [A-Za-z0-9_-]). */
  readonly collectionPrefix?: string;
  /** Physical collection name, overriding the name derived from the space. */
  readonly collection?: string;
  /** Alias that serves searches (default: `collectionPrefix`). */
  readonly alias?: string;
  readonly shardNumber?: number;
  readonly replicationFactor?: number;
  readonly writeConsistencyFactor?: number;
  /** Keep original dense vectors and the sparse index on disk (default true). */
  readonly onDiskVectors?: boolean;
  /** Scalar quantization of dense vectors (default 'int8'). */
  readonly quantization?: 'int8' | 'none';
  /** Points per upsert request, ids per delete request (default 256). */
  readonly batchSize?: number;
  /** Retries after the first attempt on transient failures (default 5). */
  readonly retries?: number;
  /** First backoff delay in ms (default 250), doubled per retry up to `retryMaxDelayMs` (default 10 000). */
  readonly retryMinDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** Per-request timeout in ms (default 60 000). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/** Collection metadata written at creation and checked by `init()`. */
interface CollectionMetadata {
  format: string;
  schemaVersion: number;
  space: EmbeddingSpace | null;
}

interface ChunkPayload {
  repo: string;
  ref: string;
  commit: string | null;
  path: string;
  dirs: string[];
  language: string;
  symbol: string | null;
  symbol_kind: SymbolKind;
  start_line: number;
  end_line: number;
  content_hash: string;
  file_hash: string;
  text: string;
  /**
   * Scope line of the chunk's header, or null when it has none. Written together with `ordinal`, only
   * for points that carry one; absent from points written before codeidx stored them (optional keys,
   * so `QDRANT_SCHEMA_VERSION` is unchanged).
   */
  scope_line?: string | null;
  /** Position of the chunk within its file; see `scope_line`. */
  ordinal?: number;
}

/** Payload keys `chunksOfPaths` reads: exactly those of a `StoredChunk`. */
const STORED_CHUNK_KEYS: readonly string[] = [
  'path',
  'language',
  'symbol',
  'symbol_kind',
  'start_line',
  'end_line',
  'content_hash',
  'file_hash',
  'text',
  'scope_line',
  'ordinal',
];

type Filter = Schemas['Filter'];
type Condition = Schemas['Condition'];

function slug(s: string, max: number): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out.slice(0, max).replace(/-+$/, '') || 'x';
}

/**
 * Collection name of a space: `<prefix>__<model slug>__<dims>d__<8 hex of sha256(model@revision/dims)>`,
 * or `<prefix>__lexical` for a lexical-only store. Deterministic: every process derives the same name.
 */
export function collectionNameFor(space: EmbeddingSpace | null, prefix = 'codeidx'): string {
  if (space === null) return `${prefix}__lexical`;
  const hash = sha256Hex(`${space.modelId}@${space.revision}/${space.dims}`).slice(0, 8);
  return `${prefix}__${slug(space.modelId, 48)}__${space.dims}d__${hash}`;
}

/** Deterministic UUID of the state point of (repo, ref); never equal to a chunk's `pointId`. */
export function statePointId(scope: RefScope): string {
  return uuidv5(`codeidx-state\u0000${scope.repo}\u0000${scope.ref}`, POINT_ID_NAMESPACE);
}

/** Normalises a path prefix ("./src/core/" → "src/core"), as the SQLite store does. */
function normalizePathPrefix(prefix: string): string {
  return prefix
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
}

function match(key: string, value: string): Condition {
  return { key, match: { value } };
}

/**
 * Qdrant filter of a `SearchFilter`, or undefined for no filter. `pathPrefix` names a folder or a file:
 * "src/core" matches points whose `dirs` contain "src/core" or whose `path` is "src/core"; with a
 * trailing slash ("src/core/") only the folder. Never a string prefix: "src/core" never matches
 * "src/corelib", and wildcard characters are plain characters.
 */
export function searchFilterToQdrant(filter: SearchFilter): Filter | undefined {
  const must: Condition[] = [];
  if (filter.repo !== undefined) must.push(match('repo', filter.repo));
  if (filter.ref !== undefined) must.push(match('ref', filter.ref));
  if (filter.language !== undefined) must.push(match('language', filter.language));
  if (filter.symbolKind !== undefined) must.push(match('symbol_kind', filter.symbolKind));
  if (filter.pathPrefix !== undefined) {
    const prefix = normalizePathPrefix(filter.pathPrefix);
    if (prefix.length > 0) {
      if (filter.pathPrefix.endsWith('/')) must.push(match('dirs', prefix));
      else must.push({ should: [match('dirs', prefix), match('path', prefix)] });
    }
  }
  return must.length > 0 ? { must } : undefined;
}

function scopeFilter(scope: RefScope, extra: Condition[] = []): Filter {
  return { must: [match('repo', scope.repo), match('ref', scope.ref), ...extra] };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function sameSpace(a: EmbeddingSpace | null, b: EmbeddingSpace | null): boolean {
  if (a === null || b === null) return a === b;
  return a.modelId === b.modelId && a.revision === b.revision && a.dims === b.dims;
}

function describeSpace(space: EmbeddingSpace | null): string {
  return space ? `${spaceLabel(space)} (${space.dims} dims)` : 'none (lexical-only)';
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function positiveInt(
  name: string,
  value: number | undefined,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`Qdrant option ${name} must be a non-negative integer, got ${value}`, {
      hint: `pass a whole number for ${name}`,
    });
  }
  return value;
}

/**
 * `VectorStore` on a Qdrant server. Construct, then `init()` before anything else. Methods throw
 * `VectorStoreError` (never a partial result); the constructor throws `ConfigError` on bad options.
 */
export class QdrantVectorStore implements VectorStore {
  readonly space: EmbeddingSpace | null;
  /** Base URL of the server, as given. */
  readonly url: string;
  /** Physical collection of this store (derived from the space unless `collection` was given). */
  readonly collectionName: string;
  /** Alias that serves searches; moved by `promoteAlias()`. */
  readonly aliasName: string;
  private readonly client: QdrantClient;
  private readonly logger: Logger | undefined;
  private readonly batchSize: number;
  private readonly retries: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly options: QdrantVectorStoreOptions;
  /** Collection or alias that queries read; the alias once it points at this collection. */
  private searchTarget: string;
  private initialised = false;
  private closed = false;

  constructor(options: QdrantVectorStoreOptions) {
    if (options.space !== null && (!Number.isInteger(options.space.dims) || options.space.dims <= 0)) {
      throw new ConfigError(`invalid embedding dimension ${options.space.dims}`, {
        hint: 'the model registry must give a positive integer dims',
      });
    }
    const prefix = options.collectionPrefix ?? 'codeidx';
    for (const [name, value] of [
      ['collectionPrefix', prefix],
      ['collection', options.collection],
      ['alias', options.alias],
    ] as const) {
      if (value !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/.test(value)) {
        throw new ConfigError(`invalid Qdrant ${name} "${value}"`, {
          hint: 'use letters, digits, "_" and "-" only (at most 200 characters)',
        });
      }
    }
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (cause) {
      throw new ConfigError(`invalid Qdrant URL "${options.url}"`, {
        cause,
        hint: 'use e.g. http://localhost:6333',
      });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError(`invalid Qdrant URL "${options.url}": not http(s)`, {
        hint: 'use e.g. http://localhost:6333',
      });
    }
    this.options = options;
    this.space = options.space;
    this.url = options.url.replace(/\/+$/, '');
    this.collectionName = options.collection ?? collectionNameFor(options.space, prefix);
    this.aliasName = options.alias ?? prefix;
    if (this.aliasName === this.collectionName) {
      throw new ConfigError(`the Qdrant alias and collection are both named "${this.aliasName}"`, {
        hint: 'pick an alias that differs from the collection name',
      });
    }
    this.searchTarget = this.collectionName;
    this.logger = options.logger;
    if (
      options.apiKey !== undefined &&
      parsed.protocol === 'http:' &&
      !/^(localhost|127\.|\[::1\])/.test(parsed.host)
    ) {
      this.logger?.warn('Qdrant API key sent over plain http', {
        url: this.url,
        hint: 'use https:// for a remote server',
      });
    }
    this.batchSize = positiveInt('batchSize', options.batchSize, 256) || 256;
    this.retries = positiveInt('retries', options.retries, 5) ?? 5;
    this.minDelay = positiveInt('retryMinDelayMs', options.retryMinDelayMs, 250) ?? 250;
    this.maxDelay = Math.max(
      this.minDelay,
      positiveInt('retryMaxDelayMs', options.retryMaxDelayMs, 10_000) ?? 10_000,
    );
    positiveInt('shardNumber', options.shardNumber, undefined);
    positiveInt('replicationFactor', options.replicationFactor, undefined);
    positiveInt('writeConsistencyFactor', options.writeConsistencyFactor, undefined);
    const pathname = parsed.pathname.replace(/\/+$/, '');
    try {
      this.client = new QdrantClient({
        url: `${parsed.protocol}//${parsed.host}`,
        ...(pathname ? { prefix: pathname } : {}),
        ...(parsed.port ? {} : { port: parsed.protocol === 'https:' ? 443 : 80 }),
        // The key goes in the api-key header (as the client's `apiKey` would) without the client's console warning.
        ...(options.apiKey !== undefined ? { headers: { 'api-key': options.apiKey } } : {}),
        timeout: positiveInt('timeoutMs', options.timeoutMs, 60_000),
        // The client's own check logs with console.warn; init() checks the version through the logger.
        checkCompatibility: false,
      });
    } catch (cause) {
      throw new ConfigError(`invalid Qdrant URL "${options.url}"`, {
        cause,
        hint: 'use e.g. http://localhost:6333',
      });
    }
  }

  /** Name that queries currently read: `aliasName` when it points at this collection, else `collectionName`. */
  get queryTarget(): string {
    return this.searchTarget;
  }

  /**
   * Connects, checks the server version, creates the collection (vectors, sparse vectors, quantization,
   * sharding) and its payload indexes if needed, and creates the alias if there is none. An existing
   * collection of another space or vector size is an error and is left untouched.
   */
  async init(): Promise<void> {
    if (this.closed) throw this.closedError();
    const version = await this.request('version check', () => this.client.versionInfo());
    const [major, minor] = version.version.split('.').map(Number);
    if (major !== 1 || (minor ?? 0) < 16) {
      this.logger?.warn('Qdrant server version may be incompatible', {
        url: this.url,
        version: version.version,
        tested: '1.19',
      });
    }
    const { exists } = await this.request('collection lookup', () =>
      this.client.collectionExists(this.collectionName),
    );
    if (!exists) await this.createCollection();
    const info = await this.request('collection info', () => this.client.getCollection(this.collectionName));
    this.checkCollection(info);
    for (const field of KEYWORD_INDEXES) {
      if (info.payload_schema[field] !== undefined) continue;
      await this.request(`payload index on ${field}`, () =>
        this.client.createPayloadIndex(this.collectionName, {
          wait: true,
          field_name: field,
          field_schema: field === 'repo' ? { type: 'keyword', is_tenant: true } : 'keyword',
        }),
      );
    }
    const target = await this.aliasTarget();
    if (target === undefined) {
      await this.request('alias creation', () =>
        this.client.updateCollectionAliases({
          actions: [{ create_alias: { alias_name: this.aliasName, collection_name: this.collectionName } }],
        }),
      );
      this.logger?.info('Qdrant alias created', { alias: this.aliasName, collection: this.collectionName });
      this.searchTarget = this.aliasName;
    } else {
      this.searchTarget = target === this.collectionName ? this.aliasName : this.collectionName;
    }
    this.initialised = true;
  }

  private async createCollection(): Promise<void> {
    const o = this.options;
    const onDisk = o.onDiskVectors ?? true;
    const metadata: CollectionMetadata = {
      format: QDRANT_STORE_FORMAT,
      schemaVersion: QDRANT_SCHEMA_VERSION,
      space: this.space,
    };
    const body: Schemas['CreateCollection'] = {
      vectors: this.space
        ? { [DENSE_VECTOR]: { size: this.space.dims, distance: 'Cosine', on_disk: onDisk } }
        : {},
      sparse_vectors: { [SPARSE_VECTOR]: { modifier: 'idf', index: { on_disk: onDisk } } },
      metadata: { codeidx: metadata as unknown as Record<string, unknown> },
      ...(o.shardNumber !== undefined ? { shard_number: o.shardNumber } : {}),
      ...(o.replicationFactor !== undefined ? { replication_factor: o.replicationFactor } : {}),
      ...(o.writeConsistencyFactor !== undefined
        ? { write_consistency_factor: o.writeConsistencyFactor }
        : {}),
      ...(this.space && (o.quantization ?? 'int8') === 'int8'
        ? { quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } } }
        : {}),
    };
    try {
      await this.request('collection creation', () =>
        this.client.createCollection(this.collectionName, body),
      );
      this.logger?.info('Qdrant collection created', {
        collection: this.collectionName,
        space: spaceLabel(this.space),
      });
    } catch (error) {
      // Another process created it between our lookup and our create: fine, init() checks it next.
      const cause = error instanceof VectorStoreError ? error.cause : error;
      if ((cause as { status?: unknown } | undefined)?.status !== 409) throw error;
    }
  }

  private checkCollection(info: Schemas['CollectionInfo']): void {
    const params = info.config.params;
    const vectors = (params.vectors ?? {}) as Record<string, unknown>;
    const dense = isRecord(vectors[DENSE_VECTOR])
      ? (vectors[DENSE_VECTOR] as { size?: unknown; distance?: unknown })
      : null;
    const sparse = params.sparse_vectors?.[SPARSE_VECTOR];
    const meta = isRecord(info.config.metadata) ? info.config.metadata.codeidx : undefined;
    const stored =
      isRecord(meta) && meta.format === QDRANT_STORE_FORMAT ? (meta as unknown as CollectionMetadata) : null;
    const where = `Qdrant collection ${this.collectionName} at ${this.url}`;
    const hint =
      'point codeidx at another collection (collection option / a new prefix), or delete that collection to rebuild it; nothing was changed';
    if (typeof vectors.size === 'number') {
      throw new VectorStoreError(
        `${where} has a single unnamed vector of ${vectors.size} dims, not a codeidx layout`,
        { hint },
      );
    }
    if (this.space === null ? dense !== null : dense === null || dense.size !== this.space.dims) {
      const found = dense
        ? `a "${DENSE_VECTOR}" vector of ${String(dense.size)} dims`
        : `no "${DENSE_VECTOR}" vector`;
      throw new VectorStoreError(`${where} has ${found}, but this store holds ${describeSpace(this.space)}`, {
        hint,
      });
    }
    if (dense !== null && dense.distance !== 'Cosine') {
      throw new VectorStoreError(`${where} uses ${String(dense.distance)} distance, codeidx needs Cosine`, {
        hint,
      });
    }
    if (!sparse || sparse.modifier !== 'idf') {
      throw new VectorStoreError(`${where} has no sparse "${SPARSE_VECTOR}" vector with the idf modifier`, {
        hint,
      });
    }
    if (stored !== null) {
      if (stored.schemaVersion !== QDRANT_SCHEMA_VERSION) {
        throw new VectorStoreError(
          `${where} has layout version ${stored.schemaVersion}, this codeidx writes ${QDRANT_SCHEMA_VERSION}`,
          {
            hint: 'upgrade codeidx, or index into a new collection',
          },
        );
      }
      if (!sameSpace(stored.space, this.space)) {
        throw new VectorStoreError(
          `${where} holds ${describeSpace(stored.space)}, but this store holds ${describeSpace(this.space)}`,
          { hint },
        );
      }
    }
  }

  /** Collection the alias points at, or undefined when the alias does not exist. */
  private async aliasTarget(): Promise<string | undefined> {
    const { aliases } = await this.request('alias lookup', () => this.client.getAliases());
    return aliases.find((a) => a.alias_name === this.aliasName)?.collection_name;
  }

  /**
   * Points `aliasName` at this store's collection in one atomic alias update (delete + create), so that
   * searches switch from the previous collection with no downtime. Refuses (VectorStoreError) while any
   * (repo, ref) of this collection is `in_progress` or when it has no complete state, unless `force`.
   * @returns the collection the alias pointed at before (to be dropped by the caller), or null.
   */
  async promoteAlias(options: { force?: boolean } = {}): Promise<{ previous: string | null }> {
    this.ready();
    if (!options.force) {
      const states = await this.listStates();
      const pending = states.filter((s) => s.status !== 'complete');
      if (pending.length > 0 || states.length === 0) {
        throw new VectorStoreError(
          states.length === 0
            ? `Qdrant collection ${this.collectionName} has no complete index yet; the alias ${this.aliasName} was not moved`
            : `Qdrant collection ${this.collectionName} has runs in progress (${pending
                .map((s) => `${s.repo} ${s.ref}`)
                .join(', ')}); the alias ${this.aliasName} was not moved`,
          { hint: 'finish indexing every repository into the new collection first (or pass force)' },
        );
      }
    }
    const previous = (await this.aliasTarget()) ?? null;
    if (previous !== this.collectionName) {
      const actions: Schemas['AliasOperations'][] = [];
      if (previous !== null) actions.push({ delete_alias: { alias_name: this.aliasName } });
      actions.push({ create_alias: { alias_name: this.aliasName, collection_name: this.collectionName } });
      await this.request('alias switch', () => this.client.updateCollectionAliases({ actions }));
      this.logger?.info('Qdrant alias moved', {
        alias: this.aliasName,
        from: previous,
        to: this.collectionName,
      });
    }
    this.searchTarget = this.aliasName;
    return { previous: previous === this.collectionName ? null : previous };
  }

  /** Deletes this store's collection (and with it any alias pointing at it). Works after `close()`. */
  async drop(): Promise<void> {
    await this.request('collection deletion', () => this.client.deleteCollection(this.collectionName));
    this.searchTarget = this.collectionName;
  }

  async upsert(points: readonly Point[]): Promise<void> {
    this.ready();
    if (points.length === 0) return;
    // Validate everything first: a bad point fails the call before anything is written.
    const structs = points.map((p) => this.toStruct(p));
    for (const batch of chunks(structs, this.batchSize)) {
      await this.request(`upsert of ${batch.length} points`, () =>
        this.client.upsert(this.collectionName, { wait: true, points: batch }),
      );
    }
  }

  private toStruct(p: Point): Schemas['PointStruct'] {
    const what = `point ${p.id} (${p.path})`;
    if (!UUID.test(p.id)) {
      throw new VectorStoreError(`${what} has an id that is not a UUID`, {
        hint: 'build ids with core pointId()',
      });
    }
    const vector: Record<string, number[] | SparseVector> = {};
    if (this.space === null) {
      if (p.vector !== null) {
        throw new VectorStoreError(
          `${what} has a vector but the Qdrant store ${this.collectionName} is lexical-only`,
          {
            hint: 'open the store with the embedding space of the vectors',
          },
        );
      }
    } else {
      if (p.vector === null) {
        throw new VectorStoreError(
          `${what} has no vector but ${this.collectionName} holds ${describeSpace(this.space)}`,
          {
            hint: 'embed every point before upserting, or use a lexical-only store',
          },
        );
      }
      if (p.vector.length !== this.space.dims) {
        throw new VectorStoreError(
          `${what} has ${p.vector.length} dims, the store expects ${this.space.dims}`,
          {
            hint: 'the embedder and the store must use the same model',
          },
        );
      }
      vector[DENSE_VECTOR] = Array.from(p.vector);
    }
    const sparse = documentSparseVector({ symbol: p.symbol, path: p.path, text: p.text });
    if (sparse) vector[SPARSE_VECTOR] = sparse;
    const payload: ChunkPayload = {
      repo: p.repo,
      ref: p.ref,
      commit: p.commit,
      path: p.path,
      dirs: [...p.dirs],
      language: p.language,
      symbol: p.symbol,
      symbol_kind: p.symbolKind,
      start_line: p.startLine,
      end_line: p.endLine,
      content_hash: p.contentHash,
      file_hash: p.fileHash,
      text: p.text,
      // Both keys or neither: a point without an ordinal (built by hand) stores no scope either.
      ...(p.ordinal !== undefined ? { scope_line: p.scope ?? null, ordinal: p.ordinal } : {}),
    };
    return { id: p.id, vector, payload: payload as unknown as Record<string, unknown> };
  }

  async deleteByIds(ids: readonly string[]): Promise<void> {
    this.ready();
    for (const batch of chunks(ids, this.batchSize)) {
      const bad = batch.find((id) => !UUID.test(id));
      if (bad !== undefined)
        throw new VectorStoreError(`cannot delete point "${bad}": not a UUID`, {
          hint: 'pass ids built by core pointId()',
        });
      await this.request(`delete of ${batch.length} points`, () =>
        this.client.delete(this.collectionName, { wait: true, points: batch }),
      );
    }
  }

  /** Counts the points to delete, then deletes them by filter (`wait=true`). Returns the count. */
  async deleteByPath(
    scope: RefScope,
    paths: readonly string[],
    keepIds?: ReadonlySet<string>,
  ): Promise<number> {
    this.ready();
    let deleted = 0;
    const keep = keepIds ? [...keepIds].filter((id) => UUID.test(id)) : [];
    for (const batch of chunks([...new Set(paths)], IN_CHUNK)) {
      const filter: Filter = scopeFilter(scope, [{ key: 'path', match: { any: batch } }]);
      if (keep.length > 0) filter.must_not = [{ has_id: keep }];
      const { count } = await this.request('count before delete', () =>
        this.client.count(this.collectionName, { filter, exact: true }),
      );
      if (count === 0) continue;
      await this.request(`delete of ${batch.length} paths`, () =>
        this.client.delete(this.collectionName, { wait: true, filter }),
      );
      deleted += count;
    }
    return deleted;
  }

  /** Deletes the state first (so a failure can never leave a `complete` state over missing points), then the points. */
  async deleteRef(scope: RefScope): Promise<void> {
    this.ready();
    await this.request('state deletion', () =>
      this.client.delete(this.collectionName, { wait: true, points: [statePointId(scope)] }),
    );
    await this.request('ref deletion', () =>
      this.client.delete(this.collectionName, { wait: true, filter: scopeFilter(scope) }),
    );
  }

  async indexedFiles(scope: RefScope): Promise<Map<string, string[]>> {
    this.ready();
    const files = new Map<string, Set<string>>();
    await this.scrollAll(
      'indexed files',
      {
        filter: scopeFilter(scope),
        with_payload: { include: ['path', 'file_hash'] },
        with_vector: false,
      },
      (record) => {
        const payload = record.payload ?? {};
        if (typeof payload.path !== 'string' || typeof payload.file_hash !== 'string') {
          throw this.corrupt(record.id, 'path/file_hash');
        }
        let set = files.get(payload.path);
        if (!set) files.set(payload.path, (set = new Set()));
        set.add(payload.file_hash);
        return true;
      },
    );
    return new Map([...files].map(([path, hashes]) => [path, [...hashes]]));
  }

  /**
   * The stored points of `paths` in `scope`, without vectors, grouped by path (a path with no point is
   * absent). Scrolls with the scope filter plus `path` `match.any` over at most `IN_CHUNK` distinct paths
   * per scroll, asking only for the payload keys of a `StoredChunk`. `scope`/`ordinal` are null when the
   * point lacks `scope_line`/`ordinal` (written by an older codeidx, or without them). Throws
   * `VectorStoreError` on a payload with a missing or ill-typed field.
   */
  async chunksOfPaths(scope: RefScope, paths: readonly string[]): Promise<Map<string, StoredChunk[]>> {
    this.ready();
    const found = new Map<string, StoredChunk[]>();
    for (const batch of chunks([...new Set(paths)], IN_CHUNK)) {
      await this.scrollAll(
        'chunks of paths',
        {
          filter: scopeFilter(scope, [{ key: 'path', match: { any: batch } }]),
          with_payload: { include: [...STORED_CHUNK_KEYS] },
          with_vector: false,
        },
        (record) => {
          const chunk = this.toStoredChunk(record.id, record.payload);
          let list = found.get(chunk.path);
          if (!list) found.set(chunk.path, (list = []));
          list.push(chunk);
          return true;
        },
      );
    }
    return found;
  }

  async vectorsByContentHash(hashes: readonly string[]): Promise<Map<string, Float32Array>> {
    this.ready();
    const found = new Map<string, Float32Array>();
    if (this.space === null || hashes.length === 0) return found;
    for (const batch of chunks([...new Set(hashes)], IN_CHUNK)) {
      const wanted = new Set(batch);
      await this.scrollAll(
        'vectors by content hash',
        {
          filter: { must: [{ key: 'content_hash', match: { any: batch } }] },
          with_payload: { include: ['content_hash'] },
          with_vector: [DENSE_VECTOR],
          limit: Math.min(SCROLL_PAGE, batch.length * 2),
        },
        (record) => {
          const hash = record.payload?.content_hash;
          const vector = isRecord(record.vector) ? record.vector[DENSE_VECTOR] : undefined;
          if (typeof hash !== 'string' || !Array.isArray(vector))
            throw this.corrupt(record.id, 'content_hash/dense vector');
          if (!found.has(hash)) found.set(hash, Float32Array.from(vector as number[]));
          wanted.delete(hash);
          return wanted.size > 0;
        },
      );
    }
    return found;
  }

  async query(query: StoreQuery): Promise<SearchHit[]> {
    this.ready();
    const { k, mode } = query;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
      throw new VectorStoreError(`k must be an integer from 1 to ${MAX_K}, got ${k}`, {
        hint: 'ask for fewer results',
      });
    }
    const semanticPossible = this.space !== null && query.vector !== null;
    if (mode === 'semantic' && !semanticPossible) {
      throw new VectorStoreError(
        this.space === null
          ? `semantic search is impossible: the Qdrant store ${this.collectionName} is lexical-only`
          : 'semantic search needs a query vector',
        { hint: 'use --mode lexical, or index with an embedding model' },
      );
    }
    if (this.space !== null && query.vector !== null && query.vector.length !== this.space.dims) {
      throw new VectorStoreError(
        `the query vector has ${query.vector.length} dims, the store expects ${this.space.dims}`,
        {
          hint: 'the embedder and the store must use the same model',
        },
      );
    }
    const filter = searchFilterToQdrant(query.filter);
    const filterPart = filter ? { filter } : {};
    const sparse = mode === 'semantic' ? null : querySparseVector(query.text);
    const dense = semanticPossible && mode !== 'lexical' ? Array.from(query.vector) : null;
    let body: Schemas['QueryRequest'];
    if (dense && sparse) {
      const limit = candidateCount(k);
      body = {
        prefetch: [
          { query: dense, using: DENSE_VECTOR, limit, ...filterPart },
          { query: sparse, using: SPARSE_VECTOR, limit, ...filterPart },
        ],
        query: { rrf: qdrantRrf(query.fusion ?? DEFAULT_FUSION) },
        limit: k,
      };
    } else if (dense) {
      body = { query: dense, using: DENSE_VECTOR, limit: k, ...filterPart };
    } else if (sparse) {
      body = { query: sparse, using: SPARSE_VECTOR, limit: k, ...filterPart };
    } else {
      return []; // lexical (or hybrid without a vector) with no lexical token: nothing can match.
    }
    const target = this.searchTarget;
    const result = await this.request(`${mode} query`, () =>
      this.client.query(target, { ...body, with_payload: true, with_vector: false }),
    );
    return result.points.map((p) => this.toHit(p.id, p.payload, p.score));
  }

  async getState(scope: RefScope): Promise<IndexState | null> {
    this.ready();
    const records = await this.request('state read', () =>
      this.client.retrieve(this.collectionName, {
        ids: [statePointId(scope)],
        with_payload: true,
        with_vector: false,
      }),
    );
    const record = records[0];
    return record ? this.parseState(record.id, record.payload) : null;
  }

  async putState(state: IndexState): Promise<void> {
    this.ready();
    const payload = {
      record: STATE_RECORD,
      state_repo: state.repo,
      state_ref: state.ref,
      state_json: JSON.stringify(state),
    };
    await this.request('state write', () =>
      this.client.upsert(this.collectionName, {
        wait: true,
        points: [{ id: statePointId(state), vector: {}, payload }],
      }),
    );
  }

  async listStates(repo?: string): Promise<IndexState[]> {
    this.ready();
    const must: Condition[] = [match('record', STATE_RECORD)];
    if (repo !== undefined) must.push(match('state_repo', repo));
    const states: IndexState[] = [];
    await this.scrollAll(
      'state listing',
      { filter: { must }, with_payload: true, with_vector: false },
      (record) => {
        states.push(this.parseState(record.id, record.payload));
        return true;
      },
    );
    return states;
  }

  async count(scope?: RefScope): Promise<number> {
    this.ready();
    const filter: Filter = scope ? scopeFilter(scope) : { must_not: [match('record', STATE_RECORD)] };
    const { count } = await this.request('count', () =>
      this.client.count(this.collectionName, { filter, exact: true }),
    );
    return count;
  }

  /** Marks the store closed. The HTTP client holds no resource that needs releasing beyond keep-alive sockets. */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Scrolls every page of `request`; `onRecord` returns false to stop early. */
  private async scrollAll(
    operation: string,
    request: Schemas['ScrollRequest'],
    onRecord: (record: Schemas['Record']) => boolean,
  ): Promise<void> {
    let offset: Schemas['ExtendedPointId'] | null | undefined;
    for (;;) {
      const page = await this.request(operation, () =>
        this.client.scroll(this.collectionName, {
          limit: SCROLL_PAGE,
          ...request,
          ...(offset !== undefined && offset !== null ? { offset } : {}),
        }),
      );
      for (const record of page.points) if (!onRecord(record)) return;
      const next = page.next_page_offset;
      if (typeof next !== 'string' && typeof next !== 'number') return;
      offset = next;
    }
  }

  private toHit(
    id: Schemas['ExtendedPointId'],
    payload: Record<string, unknown> | null | undefined,
    score: number,
  ): SearchHit {
    const p = (payload ?? {}) as Partial<ChunkPayload>;
    if (
      typeof p.repo !== 'string' ||
      typeof p.ref !== 'string' ||
      typeof p.path !== 'string' ||
      typeof p.text !== 'string' ||
      typeof p.start_line !== 'number' ||
      typeof p.end_line !== 'number' ||
      !SYMBOL_KINDS.includes(p.symbol_kind as SymbolKind)
    ) {
      throw this.corrupt(id, 'chunk payload');
    }
    return {
      id: String(id),
      repo: p.repo,
      ref: p.ref,
      commit: typeof p.commit === 'string' ? p.commit : null,
      path: p.path,
      language: typeof p.language === 'string' ? p.language : 'text',
      symbol: typeof p.symbol === 'string' ? p.symbol : null,
      symbolKind: p.symbol_kind as SymbolKind,
      startLine: p.start_line,
      endLine: p.end_line,
      text: p.text,
      score,
    };
  }

  /** A `StoredChunk` of a scrolled chunk payload; `corrupt` when a field is missing or ill-typed. */
  private toStoredChunk(
    id: Schemas['ExtendedPointId'],
    payload: Record<string, unknown> | null | undefined,
  ): StoredChunk {
    const p = (payload ?? {}) as Partial<Record<keyof ChunkPayload, unknown>>;
    if (
      typeof p.path !== 'string' ||
      typeof p.language !== 'string' ||
      (p.symbol !== null && typeof p.symbol !== 'string') ||
      !SYMBOL_KINDS.includes(p.symbol_kind as SymbolKind) ||
      !Number.isInteger(p.start_line) ||
      !Number.isInteger(p.end_line) ||
      typeof p.content_hash !== 'string' ||
      typeof p.file_hash !== 'string' ||
      typeof p.text !== 'string'
    ) {
      throw this.corrupt(id, 'chunk payload');
    }
    return {
      id: String(id),
      path: p.path,
      language: p.language,
      symbol: p.symbol,
      symbolKind: p.symbol_kind as SymbolKind,
      startLine: p.start_line as number,
      endLine: p.end_line as number,
      contentHash: p.content_hash,
      fileHash: p.file_hash,
      text: p.text,
      scope: typeof p.scope_line === 'string' ? p.scope_line : null,
      ordinal: typeof p.ordinal === 'number' && Number.isInteger(p.ordinal) ? p.ordinal : null,
    };
  }

  private parseState(
    id: Schemas['ExtendedPointId'],
    payload: Record<string, unknown> | null | undefined,
  ): IndexState {
    const json = payload?.state_json;
    if (typeof json !== 'string') throw this.corrupt(id, 'state_json');
    let state: unknown;
    try {
      state = JSON.parse(json);
    } catch (cause) {
      throw this.corrupt(id, 'state_json', cause);
    }
    if (
      !isRecord(state) ||
      typeof state.repo !== 'string' ||
      typeof state.ref !== 'string' ||
      (state.status !== 'complete' && state.status !== 'in_progress') ||
      !isRecord(state.counts)
    ) {
      throw this.corrupt(id, 'index state');
    }
    return state as unknown as IndexState;
  }

  private corrupt(id: Schemas['ExtendedPointId'], what: string, cause?: unknown): VectorStoreError {
    return new VectorStoreError(
      `point ${String(id)} of Qdrant collection ${this.collectionName} at ${this.url} has no valid ${what}`,
      {
        cause,
        hint: 'the collection was written by something else than codeidx, or by an incompatible version; run a full re-index into a new collection',
      },
    );
  }

  private ready(): void {
    if (this.closed) throw this.closedError();
    if (!this.initialised) {
      throw new VectorStoreError(`Qdrant store ${this.collectionName} is not initialised`, {
        hint: 'call init() before using the store',
      });
    }
  }

  private closedError(): VectorStoreError {
    return new VectorStoreError(`Qdrant store ${this.collectionName} is closed`, {
      hint: 'open a new store',
    });
  }

  /** Runs one client call with retries on transient failures; the final failure becomes a VectorStoreError. */
  private async request<T>(operation: string, call: () => Promise<T>): Promise<T> {
    let attempts = 0;
    try {
      return await pRetry(
        async () => {
          attempts++;
          return call();
        },
        {
          retries: this.retries,
          factor: 2,
          minTimeout: this.minDelay,
          maxTimeout: this.maxDelay,
          randomize: true,
          shouldRetry: ({ error }) => isTransientQdrantError(error),
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (!isTransientQdrantError(error) || retriesLeft === 0) return;
            this.logger?.warn('Qdrant request failed, retrying', {
              url: this.url,
              operation,
              attempt: attemptNumber,
              retriesLeft,
              error: error.message,
            });
            const retryAfter = retryAfterSecondsOf(error);
            if (retryAfter !== undefined && retryAfter > 0) {
              await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter * 1000, this.maxDelay)));
            }
          },
        },
      );
    } catch (error) {
      throw toVectorStoreError(error, this.url, operation, attempts);
    }
  }
}
