/**
 * An in-process Qdrant fake: a small `node:http` server on 127.0.0.1 that implements just the REST
 * endpoints `QdrantVectorStore` calls, with semantics close enough to Qdrant 1.19 to run the
 * `VectorStore` conformance suite (no Qdrant server can run on these machines).
 *
 * Every request is first validated against Qdrant's OpenAPI document (`OpenApiValidator`): a request
 * that fails is answered 400 with the validation error and recorded in `validationErrors`, which tests
 * assert to be empty. Every 200 answer of the fake is validated against the document's response
 * schema too (`responseErrors`), so the fake cannot drift into answers the real client would not get.
 *
 * Implemented: collections (exists, get, create, delete, list), aliases (list, per collection, atomic
 * update with create/delete/rename), payload indexes, points upsert/retrieve/delete (ids or filter),
 * scroll (id order, offset, payload selectors, vector selectors), count, and the Query API with dense
 * (cosine; vectors normalised on upsert, as Qdrant does) and sparse (dot product, `idf` modifier with
 * Qdrant's formula) nearest queries, prefetch and RRF fusion. Filters: must / should / must_not /
 * min_should, nested filters, `match` value / any / except, `is_empty`, `is_null`, `has_id`.
 * Anything else answers 501 so that a test relying on it fails loudly.
 *
 * Fault injection: `failNext(n, status)` answers the next n matching requests with `status`;
 * `failAlways(status)` until `clearFaults()`. An API key, when set, is required in the `api-key` header.
 *
 * @module test/adapters/qdrant/qdrant-fake-server
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenApiValidator } from './openapi-validator.js';

/** Qdrant's RRF constant when a request says `fusion: "rrf"` without a k (Qdrant's default). */
const QDRANT_DEFAULT_RRF_K = 2;

type PointId = string | number;

interface SparseVector {
  indices: number[];
  values: number[];
}

type StoredVector = number[] | SparseVector;

/** A stored point. */
export interface FakePoint {
  id: PointId;
  vector: Record<string, StoredVector>;
  payload: Record<string, unknown>;
  version: number;
}

interface DenseParams {
  size: number;
  distance: string;
  on_disk?: boolean | null;
  [key: string]: unknown;
}

/** A collection of the fake: its creation body (config) and points. */
export interface FakeCollection {
  name: string;
  config: Record<string, unknown>;
  dense: Record<string, DenseParams>;
  sparse: Record<string, { modifier?: string | null; [key: string]: unknown }>;
  points: Map<string, FakePoint>;
  payloadSchema: Record<string, { data_type: string; params?: unknown; points: number }>;
}

/** One request received (after JSON parsing), for assertions on request shapes. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly operationId: string | null;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Status the fake answered. */
  status: number;
}

interface Fault {
  status: number;
  remaining: number;
  match: (request: RecordedRequest) => boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let sharedValidator: OpenApiValidator | null = null;

/** One validator per process: compiling the document takes about a second. */
export function qdrantOpenApiValidator(): OpenApiValidator {
  sharedValidator ??= new OpenApiValidator();
  return sharedValidator;
}

/** Options of `FakeQdrantServer.start`. */
export interface FakeQdrantOptions {
  /** Required value of the `api-key` header; unset = no authentication. */
  readonly apiKey?: string;
  /** Validator to use (default: the shared one over `../shared/qdrant/openapi.json`). */
  readonly validator?: OpenApiValidator;
}

/** The fake server. Start with `FakeQdrantServer.start()`, stop with `close()`. */
export class FakeQdrantServer {
  /** Base URL, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  /** Requests that failed OpenAPI validation (each answered 400). */
  readonly validationErrors: string[] = [];
  /** 200 answers of the fake that failed the document's response schema (a bug of the fake). */
  readonly responseErrors: string[] = [];
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  readonly collections = new Map<string, FakeCollection>();
  /** alias → collection name. */
  readonly aliases = new Map<string, string>();
  private readonly faults: Fault[] = [];
  private version = 0;

  private constructor(
    private readonly server: Server,
    private readonly validator: OpenApiValidator,
    private readonly apiKey: string | undefined,
  ) {
    const address = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
  }

  /** Starts a fake on an ephemeral port of 127.0.0.1. */
  static async start(options: FakeQdrantOptions = {}): Promise<FakeQdrantServer> {
    const validator = options.validator ?? qdrantOpenApiValidator();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const fake = new FakeQdrantServer(server, validator, options.apiKey);
    server.on('request', (req, res) => {
      fake.handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ status: { error: String(error) }, time: 0 }));
      });
    });
    return fake;
  }

  /** Answers the next `count` requests matching `match` (default: all) with `status`. */
  failNext(count: number, status = 500, match: (request: RecordedRequest) => boolean = () => true): void {
    this.faults.push({ status, remaining: count, match });
  }

  /** Answers every request matching `match` with `status` until `clearFaults()`. */
  failAlways(status = 500, match: (request: RecordedRequest) => boolean = () => true): void {
    this.faults.push({ status, remaining: Number.POSITIVE_INFINITY, match });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Stops listening and drops open keep-alive connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The collection behind a name or an alias, or undefined. */
  resolve(name: string): FakeCollection | undefined {
    return this.collections.get(this.aliases.get(name) ?? name);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const started = performance.now();
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      operationId: null,
      query: {},
      body: undefined,
      headers: req.headers,
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown): void => {
      record.status = status;
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, error: string): void =>
      send(status, { status: { error }, time: (performance.now() - started) / 1000 });

    let body: unknown;
    try {
      body = raw.length > 0 ? (JSON.parse(raw) as unknown) : undefined;
    } catch (error) {
      this.validationErrors.push(`${record.method} ${record.url}: body is not JSON: ${String(error)}`);
      fail(400, `Json deserialize error: ${String(error)}`);
      return;
    }
    const validation = this.validator.validateRequest({ method: record.method, url: record.url, body });
    Object.assign(record, { body, operationId: validation.operationId, query: validation.query });

    if (this.apiKey !== undefined && req.headers['api-key'] !== this.apiKey) {
      fail(401, 'Must provide an API key or an Authorization bearer token');
      return;
    }
    if (validation.errors.length > 0) {
      this.validationErrors.push(`${record.method} ${record.url}: ${validation.errors.join(' | ')}`);
      fail(400, `Validation error in request (OpenAPI): ${validation.errors.join(' | ')}`);
      return;
    }
    const fault = this.faults.find((f) => f.remaining > 0 && f.match(record));
    if (fault) {
      fault.remaining -= 1;
      fail(fault.status, `injected failure ${fault.status}`);
      return;
    }
    try {
      const result = this.dispatch(validation.operationId ?? '', validation.pathParams, body);
      // GET / answers VersionInfo itself; every other operation wraps its result.
      const payload =
        validation.operationId === 'root'
          ? result
          : { result, status: 'ok', time: (performance.now() - started) / 1000 };
      const problems = this.validator.validateResponse(validation.operationId ?? '', payload);
      if (problems.length > 0) this.responseErrors.push(...problems);
      send(200, payload);
    } catch (error) {
      if (error instanceof HttpError) fail(error.status, error.message);
      else throw error;
    }
  }

  private collection(name: string | undefined): FakeCollection {
    const found = this.resolve(name ?? '');
    if (!found) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return found;
  }

  private dispatch(operationId: string, params: Record<string, string>, body: unknown): unknown {
    const b = (body ?? {}) as Record<string, unknown>;
    const name = params.collection_name;
    switch (operationId) {
      case 'root':
        return { title: 'qdrant - vector search engine (codeidx fake)', version: '1.19.0' };
      case 'get_collections':
        return { collections: [...this.collections.keys()].map((n) => ({ name: n })) };
      case 'collection_exists':
        return { exists: this.resolve(name ?? '') !== undefined };
      case 'get_collection':
        return this.collectionInfo(this.collection(name));
      case 'create_collection':
        return this.createCollection(name ?? '', b);
      case 'delete_collection': {
        const existed = this.collections.delete(name ?? '');
        for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
        return existed;
      }
      case 'update_aliases':
        return this.updateAliases(
          b.actions as Array<
            Record<
              string,
              {
                alias_name?: string;
                collection_name?: string;
                old_alias_name?: string;
                new_alias_name?: string;
              }
            >
          >,
        );
      case 'get_collections_aliases':
        return {
          aliases: [...this.aliases].map(([alias_name, collection_name]) => ({
            alias_name,
            collection_name,
          })),
        };
      case 'get_collection_aliases': {
        const c = this.collection(name);
        return {
          aliases: [...this.aliases]
            .filter(([, target]) => target === c.name)
            .map(([alias_name, collection_name]) => ({ alias_name, collection_name })),
        };
      }
      case 'create_field_index': {
        const c = this.collection(name);
        const schema = b.field_schema as string | { type: string } | undefined;
        const dataType = typeof schema === 'string' ? schema : (schema?.type ?? 'keyword');
        c.payloadSchema[String(b.field_name)] = {
          data_type: dataType,
          ...(typeof schema === 'object' ? { params: schema } : {}),
          points: 0,
        };
        return this.updated();
      }
      case 'upsert_points':
        return this.upsert(this.collection(name), b);
      case 'delete_points':
        return this.deletePoints(this.collection(name), b);
      case 'get_points': {
        const c = this.collection(name);
        const ids = (b.ids as PointId[]).map(String);
        return ids
          .map((id) => c.points.get(id))
          .filter((p): p is FakePoint => p !== undefined)
          .map((p) => this.record(p, b.with_payload ?? true, b.with_vector ?? false));
      }
      case 'scroll_points':
        return this.scroll(this.collection(name), b);
      case 'count_points': {
        const c = this.collection(name);
        let n = 0;
        for (const p of c.points.values()) if (matchesFilter(p, b.filter)) n++;
        return { count: n };
      }
      case 'query_points':
        return { points: this.query(this.collection(name), b) };
      default:
        throw new HttpError(501, `the Qdrant fake does not implement ${operationId}`);
    }
  }

  private updated(): { operation_id: number; status: 'completed' } {
    return { operation_id: ++this.version, status: 'completed' };
  }

  private createCollection(name: string, body: Record<string, unknown>): boolean {
    if (this.collections.has(name) || this.aliases.has(name)) {
      throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
    }
    const vectors = (body.vectors ?? {}) as Record<string, unknown>;
    if (typeof vectors.size === 'number') throw new HttpError(501, 'the fake supports named vectors only');
    this.collections.set(name, {
      name,
      config: body,
      dense: vectors as Record<string, DenseParams>,
      sparse: (body.sparse_vectors ?? {}) as FakeCollection['sparse'],
      points: new Map(),
      payloadSchema: {},
    });
    return true;
  }

  private updateAliases(
    actions: Array<
      Record<
        string,
        { alias_name?: string; collection_name?: string; old_alias_name?: string; new_alias_name?: string }
      >
    >,
  ): boolean {
    // Atomic: apply to a copy, commit only if every action succeeds (as Qdrant does).
    const next = new Map(this.aliases);
    for (const action of actions) {
      if (action.create_alias) {
        const { alias_name = '', collection_name = '' } = action.create_alias;
        if (!this.collections.has(collection_name)) {
          throw new HttpError(404, `Not found: Collection \`${collection_name}\` doesn't exist!`);
        }
        if (this.collections.has(alias_name)) {
          throw new HttpError(409, `Wrong input: Collection \`${alias_name}\` already exists!`);
        }
        next.set(alias_name, collection_name);
      } else if (action.delete_alias) {
        const alias = action.delete_alias.alias_name ?? '';
        if (!next.delete(alias)) throw new HttpError(404, `Not found: Alias \`${alias}\` doesn't exist!`);
      } else if (action.rename_alias) {
        const { old_alias_name = '', new_alias_name = '' } = action.rename_alias;
        const target = next.get(old_alias_name);
        if (target === undefined)
          throw new HttpError(404, `Not found: Alias \`${old_alias_name}\` doesn't exist!`);
        next.delete(old_alias_name);
        next.set(new_alias_name, target);
      }
    }
    this.aliases.clear();
    for (const [k, v] of next) this.aliases.set(k, v);
    return true;
  }

  private collectionInfo(c: FakeCollection): unknown {
    const params: Record<string, unknown> = {
      vectors: c.dense,
      shard_number: c.config.shard_number ?? 1,
      replication_factor: c.config.replication_factor ?? 1,
      write_consistency_factor: c.config.write_consistency_factor ?? 1,
      on_disk_payload: true,
    };
    if (Object.keys(c.sparse).length > 0) params.sparse_vectors = c.sparse;
    for (const [field, info] of Object.entries(c.payloadSchema)) {
      let n = 0;
      for (const p of c.points.values()) if (p.payload[field] !== undefined) n++;
      info.points = n;
    }
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: c.points.size,
      segments_count: 1,
      config: {
        params,
        hnsw_config: {
          m: 16,
          ef_construct: 100,
          full_scan_threshold: 10000,
          max_indexing_threads: 0,
          on_disk: false,
        },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          max_segment_size: null,
          memmap_threshold: null,
          indexing_threshold: 10000,
          flush_interval_sec: 5,
          max_optimization_threads: null,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: c.config.quantization_config ?? null,
        metadata: c.config.metadata ?? null,
      },
      payload_schema: c.payloadSchema,
    };
  }

  private upsert(c: FakeCollection, body: Record<string, unknown>): unknown {
    if (!Array.isArray(body.points))
      throw new HttpError(501, 'the fake supports the points list form of upsert only');
    const prepared: FakePoint[] = [];
    for (const raw of body.points as Array<{
      id: PointId;
      vector: unknown;
      payload?: Record<string, unknown> | null;
    }>) {
      if (Array.isArray(raw.vector))
        throw new HttpError(400, 'Wrong input: Not existing vector name error: ');
      const vector: Record<string, StoredVector> = {};
      for (const [vname, value] of Object.entries((raw.vector ?? {}) as Record<string, unknown>)) {
        const dense = c.dense[vname];
        const sparse = c.sparse[vname];
        if (dense) {
          if (!Array.isArray(value))
            throw new HttpError(400, `Wrong input: Conversion between sparse and regular vectors failed`);
          const v = value as number[];
          if (v.length !== dense.size) {
            throw new HttpError(
              400,
              `Wrong input: Vector dimension error: expected dim: ${dense.size}, got ${v.length}`,
            );
          }
          vector[vname] = dense.distance === 'Cosine' ? normalise(v) : v;
        } else if (sparse) {
          const s = value as SparseVector;
          if (s.indices.length !== s.values.length || new Set(s.indices).size !== s.indices.length) {
            throw new HttpError(
              400,
              'Validation error in JSON body: [points[0].vector.values: must be the same length as indices; indices must be unique]',
            );
          }
          vector[vname] = { indices: [...s.indices], values: [...s.values] };
        } else {
          throw new HttpError(400, `Wrong input: Not existing vector name error: ${vname}`);
        }
      }
      prepared.push({ id: raw.id, vector, payload: raw.payload ?? {}, version: 0 });
    }
    const version = ++this.version;
    for (const p of prepared) c.points.set(String(p.id), { ...p, version });
    return { operation_id: version, status: 'completed' };
  }

  private deletePoints(c: FakeCollection, body: Record<string, unknown>): unknown {
    if (Array.isArray(body.points)) {
      for (const id of body.points as PointId[]) c.points.delete(String(id));
    } else {
      for (const [id, p] of c.points) if (matchesFilter(p, body.filter)) c.points.delete(id);
    }
    return this.updated();
  }

  private scroll(c: FakeCollection, b: Record<string, unknown>): unknown {
    const limit = typeof b.limit === 'number' ? b.limit : 10;
    const sorted = [...c.points.values()]
      .filter((p) => matchesFilter(p, b.filter))
      .sort((x, y) => compareIds(x.id, y.id));
    let start = 0;
    if (b.offset !== undefined && b.offset !== null) {
      start = sorted.findIndex((p) => compareIds(p.id, b.offset as PointId) >= 0);
      if (start < 0) start = sorted.length;
    }
    const page = sorted.slice(start, start + limit);
    const next = sorted[start + limit];
    return {
      points: page.map((p) => this.record(p, b.with_payload ?? true, b.with_vector ?? false)),
      next_page_offset: next ? next.id : null,
    };
  }

  private record(p: FakePoint, withPayload: unknown, withVector: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = { id: p.id };
    const payload = selectPayload(p.payload, withPayload);
    if (payload !== null) out.payload = payload;
    const vector = selectVector(p.vector, withVector);
    if (vector !== null) out.vector = vector;
    return out;
  }

  private query(c: FakeCollection, b: Record<string, unknown>): Array<Record<string, unknown>> {
    const ranked = this.rank(c, b, undefined);
    const offset = typeof b.offset === 'number' ? b.offset : 0;
    return ranked.slice(offset).map(({ point, score }) => ({
      ...this.record(point, b.with_payload ?? false, b.with_vector ?? false),
      version: point.version,
      score,
    }));
  }

  /** Ranks points for a query or prefetch node. `outerFilter` is the parent's filter (Qdrant propagates it). */
  private rank(
    c: FakeCollection,
    node: Record<string, unknown>,
    outerFilter: unknown,
  ): Array<{ point: FakePoint; score: number }> {
    const limit = typeof node.limit === 'number' ? node.limit : 10;
    const filters = [outerFilter, node.filter].filter((f) => f !== undefined && f !== null);
    const accept = (p: FakePoint): boolean => filters.every((f) => matchesFilter(p, f));
    const query = node.query;
    const prefetch =
      node.prefetch === undefined || node.prefetch === null ? [] : ([] as unknown[]).concat(node.prefetch);
    if (prefetch.length > 0) {
      const lists = prefetch.map((sub) =>
        this.rank(c, sub as Record<string, unknown>, filters.length > 0 ? { must: filters } : undefined),
      );
      const fusion = query as
        { fusion?: string; rrf?: { k?: number | null; weights?: number[] | null } } | undefined;
      let k: number;
      let weights: number[] | null = null;
      if (fusion?.fusion === 'rrf') k = QDRANT_DEFAULT_RRF_K;
      else if (fusion?.rrf) {
        k = fusion.rrf.k ?? QDRANT_DEFAULT_RRF_K;
        if (fusion.rrf.weights) {
          if (fusion.rrf.weights.length !== lists.length) {
            throw new HttpError(
              400,
              `Number of weights in RRF should match number of pre-fetches: got ${fusion.rrf.weights.length}, expected ${lists.length}`,
            );
          }
          weights = fusion.rrf.weights;
        }
      } else throw new HttpError(501, 'the fake implements prefetch with RRF fusion only');
      const fused = new Map<string, { point: FakePoint; score: number; order: number }>();
      let order = 0;
      lists.forEach((list, li) => {
        const weight = weights?.[li] ?? 1;
        list.forEach(({ point }, position) => {
          const key = String(point.id);
          const entry = fused.get(key) ?? { point, score: 0, order: order++ };
          // Qdrant's position_score (lib/segment/src/common/reciprocal_rank_fusion.rs): 0-based
          // position p, 1 / ((p + 1) / weight + k - 1); a weight ≤ 0 contributes nothing.
          entry.score += weight > 0 ? 1 / ((position + 1) / weight + k - 1) : 0;
          fused.set(key, entry);
        });
      });
      return [...fused.values()]
        .sort((x, y) => y.score - x.score || x.order - y.order)
        .slice(0, limit)
        .map(({ point, score }) => ({ point, score }));
    }
    const using = typeof node.using === 'string' ? node.using : '';
    const vectorQuery = unwrapNearest(query);
    if (Array.isArray(vectorQuery)) {
      const params = c.dense[using];
      if (!params) throw new HttpError(400, `Wrong input: Not existing vector name error: ${using}`);
      if (vectorQuery.length !== params.size) {
        throw new HttpError(
          400,
          `Wrong input: Vector dimension error: expected dim: ${params.size}, got ${vectorQuery.length}`,
        );
      }
      const q = params.distance === 'Cosine' ? normalise(vectorQuery as number[]) : (vectorQuery as number[]);
      const scored: Array<{ point: FakePoint; score: number }> = [];
      for (const p of c.points.values()) {
        const v = p.vector[using];
        if (!Array.isArray(v) || !accept(p)) continue;
        scored.push({ point: p, score: dot(q, v) });
      }
      return scored.sort((x, y) => y.score - x.score).slice(0, limit);
    }
    if (vectorQuery && typeof vectorQuery === 'object' && 'indices' in vectorQuery) {
      const params = c.sparse[using];
      if (!params) throw new HttpError(400, `Wrong input: Not existing vector name error: ${using}`);
      const q = vectorQuery as SparseVector;
      const idf = params.modifier === 'idf' ? idfWeights(c, using, q.indices) : null;
      const scored: Array<{ point: FakePoint; score: number }> = [];
      for (const p of c.points.values()) {
        const v = p.vector[using];
        if (!v || Array.isArray(v) || !accept(p)) continue;
        let score = 0;
        let overlap = false;
        q.indices.forEach((index, i) => {
          const at = v.indices.indexOf(index);
          if (at < 0) return;
          overlap = true;
          score += (q.values[i] ?? 0) * (v.values[at] ?? 0) * (idf?.get(index) ?? 1);
        });
        if (overlap) scored.push({ point: p, score });
      }
      return scored.sort((x, y) => y.score - x.score).slice(0, limit);
    }
    throw new HttpError(
      501,
      `the fake does not implement this query: ${JSON.stringify(query)?.slice(0, 200)}`,
    );
  }
}

/**
 * Qdrant's IDF (lib/segment, `sparse_vector` idf modifier, the BM25 IDF of Robertson & Zaragoza):
 * idf(t) = ln((N − n(t) + 0.5) / (n(t) + 0.5) + 1), N = points with this sparse vector, n(t) = those containing t.
 */
function idfWeights(c: FakeCollection, using: string, indices: readonly number[]): Map<number, number> {
  let total = 0;
  const df = new Map<number, number>(indices.map((i) => [i, 0]));
  for (const p of c.points.values()) {
    const v = p.vector[using];
    if (!v || Array.isArray(v)) continue;
    total++;
    for (const index of v.indices) {
      const n = df.get(index);
      if (n !== undefined) df.set(index, n + 1);
    }
  }
  const out = new Map<number, number>();
  for (const [index, n] of df) out.set(index, Math.log((total - n + 0.5) / (n + 0.5) + 1));
  return out;
}

function unwrapNearest(query: unknown): unknown {
  if (query && typeof query === 'object' && !Array.isArray(query) && 'nearest' in query) {
    return query.nearest;
  }
  return query;
}

function normalise(v: readonly number[]): number[] {
  const norm = Math.hypot(...v);
  return norm === 0 ? [...v] : v.map((x) => x / norm);
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1; // Qdrant orders integer ids before UUIDs.
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function selectPayload(payload: Record<string, unknown>, selector: unknown): Record<string, unknown> | null {
  if (selector === false || selector === null) return null;
  if (selector === true) return payload;
  let include: string[] | null = null;
  let exclude: string[] = [];
  if (Array.isArray(selector)) include = selector as string[];
  else if (selector && typeof selector === 'object') {
    const s = selector as { include?: string[]; exclude?: string[] };
    if (s.include) include = s.include;
    if (s.exclude) exclude = s.exclude;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (include && !include.includes(k)) continue;
    if (exclude.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

function selectVector(
  vector: Record<string, StoredVector>,
  selector: unknown,
): Record<string, StoredVector> | null {
  if (selector === false || selector === null || selector === undefined) return null;
  const names = Array.isArray(selector) ? (selector as string[]) : Object.keys(vector);
  const out: Record<string, StoredVector> = {};
  for (const n of names) if (vector[n] !== undefined) out[n] = vector[n];
  return out;
}

function asList(x: unknown): unknown[] {
  if (x === undefined || x === null) return [];
  return Array.isArray(x) ? x : [x];
}

/** Qdrant filter semantics over one point (payload arrays match when any element matches). */
export function matchesFilter(point: FakePoint, filter: unknown): boolean {
  if (filter === undefined || filter === null) return true;
  const f = filter as Record<string, unknown>;
  const must = asList(f.must);
  const should = asList(f.should);
  const mustNot = asList(f.must_not);
  if (!must.every((c) => matchesCondition(point, c))) return false;
  if (mustNot.some((c) => matchesCondition(point, c))) return false;
  if (should.length > 0 && !should.some((c) => matchesCondition(point, c))) return false;
  if (f.min_should) {
    const m = f.min_should as { conditions: unknown[]; min_count: number };
    if (m.conditions.filter((c) => matchesCondition(point, c)).length < m.min_count) return false;
  }
  return true;
}

function matchesCondition(point: FakePoint, condition: unknown): boolean {
  const c = condition as Record<string, unknown>;
  if ('has_id' in c) return (c.has_id as PointId[]).map(String).includes(String(point.id));
  if ('must' in c || 'should' in c || 'must_not' in c || 'min_should' in c) return matchesFilter(point, c);
  if ('is_empty' in c && typeof c.is_empty === 'object' && c.is_empty !== null) {
    const v = point.payload[(c.is_empty as { key: string }).key];
    return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  }
  if ('is_null' in c && typeof c.is_null === 'object' && c.is_null !== null) {
    return point.payload[(c.is_null as { key: string }).key] === null;
  }
  if (typeof c.key === 'string') {
    if (c.key.includes('.') || c.key.includes('['))
      throw new HttpError(501, `the fake does not implement nested keys: ${c.key}`);
    const value = point.payload[c.key];
    const values = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
    const match = c.match as Record<string, unknown> | undefined;
    if (match && 'value' in match) return values.some((v) => v === match.value);
    if (match && 'any' in match) return values.some((v) => (match.any as unknown[]).includes(v));
    if (match && 'except' in match)
      return values.length > 0 && values.some((v) => !(match.except as unknown[]).includes(v));
    throw new HttpError(
      501,
      `the fake does not implement this condition: ${JSON.stringify(c).slice(0, 200)}`,
    );
  }
  throw new HttpError(501, `the fake does not implement this condition: ${JSON.stringify(c).slice(0, 200)}`);
}
