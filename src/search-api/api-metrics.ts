/**
 * @module search-api/api-metrics — Prometheus metrics of one API instance (prom-client), on a registry
 * of its own so that several apps (tests) never share counters.
 *
 * Names and units follow the Prometheus naming guide (base units: seconds; `_total` for counters).
 * Histogram buckets span 1 ms … 10 s: a cached lexical query takes about a millisecond, a cold
 * semantic query on CPU tens to hundreds of milliseconds.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Where the query-embedding cache counters come from (`SearchService.queryCacheStats`). */
export interface QueryCacheStats {
  readonly hits: number;
  readonly misses: number;
}

/** Latency buckets in seconds. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The API's metrics and their registry. */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  /**
   * @param cacheStats read at every scrape; its counters only grow.
   * @param defaultMetrics also export process metrics (CPU, memory, event loop); off in tests.
   */
  constructor(cacheStats: QueryCacheStats, defaultMetrics = false) {
    this.requests = new Counter({
      name: 'codeidx_http_requests_total',
      help: 'HTTP requests by method, matched route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'codeidx_http_request_duration_seconds',
      help: 'HTTP request latency in seconds by method, matched route and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    // Counters mirrored from the search service at scrape time: increment by what changed since the last scrape.
    const mirror = (name: string, help: string, read: () => number): void => {
      let seen = 0;
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const now = read();
          if (now > seen) this.inc(now - seen);
          seen = now;
        },
      });
    };
    mirror(
      'codeidx_query_embedding_cache_hits_total',
      'Query embeddings served from the LRU cache.',
      () => cacheStats.hits,
    );
    mirror(
      'codeidx_query_embedding_cache_misses_total',
      'Query embeddings computed by the model.',
      () => cacheStats.misses,
    );
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'codeidx_' });
  }

  /** Records one finished request. `route` is the matched route pattern (bounded cardinality), `seconds` its latency. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  /** The text exposition format, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
