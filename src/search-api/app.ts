/**
 * @module search-api/app — the Search API and its web page as a Hono app: `createApp(deps)`.
 * No socket here (`server.ts` serves it); tests call `app.request(...)`.
 *
 * Routes: `GET|POST /v1/search`, `GET /v1/repos/{owner}/{repo}/status`, `GET /healthz`, `GET /readyz`,
 * `GET /metrics`, `GET /openapi.json`, `GET /docs`, `GET /` (search page) and its `/assets/*`.
 * Every `/v1` route needs a principal (bearer token, or anonymous for public repositories), is rate
 * limited per principal, and returns only repositories in the principal's scope.
 * Errors: handlers throw; one `app.onError` maps `ApiError` to its status, `InvalidQueryError` to 400,
 * `VectorStoreError` to 503 and anything else to a 500 that reveals nothing.
 */
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { rateLimiter } from 'hono-rate-limiter';
import { VectorStoreError } from '../core/errors.js';
import type { Logger, VectorStore } from '../core/ports.js';
import { InvalidQueryError, type SearchService } from '../core/search-service.js';
import { ApiError, type ApiErrorBody } from './api-error.js';
import { ApiMetrics } from './api-metrics.js';
import { AccessPolicy, type AuthConfig, type Principal } from './auth.js';
import { openApiDocument } from './openapi.js';
import { responseCacheKey, type ResponseCache } from './response-cache.js';
import { scopedSearch } from './scoped-search.js';
import { REPO_PATTERN, parseSearchBody, parseSearchQuery, type SearchParams } from './search-params.js';
import { APP_JS } from './web/app-js.js';
import { DOCS_HTML, DOCS_JS } from './web/docs-html.js';
import { renderIndexHtml } from './web/index-html.js';
import { FAVICON_SVG, STYLE_CSS } from './web/style-css.js';

/** Version reported by `/openapi.json` unless given. */
export const API_VERSION = '1.0.0';

/** Largest JSON body of `POST /v1/search`, in bytes: a maximal query in UTF-8 plus filters fits many times. */
export const MAX_BODY_BYTES = 32 * 1024;

/** Requests per principal and window. */
export interface RateLimitConfig {
  /** Requests allowed per window and principal. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

/** Default rate limit: 120 requests per minute per token (2/s sustained: a person or a modest script). */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = { limit: 120, windowMs: 60_000 };

/** What `createApp` needs. Only core types: the surfaces talk to `SearchService` and `VectorStore`. */
export interface ApiDeps {
  readonly search: SearchService;
  /** Used for status, readiness and the repository list of a scoped search. */
  readonly store: VectorStore;
  readonly auth: AuthConfig;
  readonly logger: Logger;
  /** Monotonic clock in milliseconds for latencies (default `performance.now`). */
  readonly now?: () => number;
  /** Default `DEFAULT_RATE_LIMIT`. */
  readonly rateLimit?: RateLimitConfig;
  /** Origins allowed by CORS ("https://portal.example.com"); empty or absent: no cross-origin access. */
  readonly corsOrigins?: readonly string[];
  /** Also export process metrics on /metrics (the server turns this on; tests leave it off). */
  readonly processMetrics?: boolean;
  readonly version?: string;
  /** Cache of search responses (see response-cache.ts); absent: every search runs. */
  readonly responseCache?: ResponseCache;
}

/** Hono environment of the app: node bindings (absent under `app.request`) and per-request variables. */
export type ApiEnv = {
  Bindings: Partial<HttpBindings> | undefined;
  Variables: { principal: Principal; requestId: string };
};

/** The app `createApp` returns. */
export type ApiApp = Hono<ApiEnv>;

const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

function errorJson(
  c: Context<ApiEnv>,
  status: ContentfulStatusCode,
  body: ApiErrorBody,
  headers: Record<string, string> = {},
): Response {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json(body, status);
}

/** Client address for the anonymous rate-limit key (the socket peer; behind a proxy, the proxy). */
function clientAddress(c: Context<ApiEnv>): string {
  return c.env?.incoming?.socket.remoteAddress ?? 'unknown';
}

/** The raw query string of a request URL, without "?" (and never decoded: see `decodeQueryString`). */
function rawQueryString(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return '';
  const hash = url.indexOf('#', start);
  return url.slice(start + 1, hash === -1 ? undefined : hash);
}

/**
 * Builds the app. Pure wiring: no socket, no timers except the rate limiter's cleanup (unref'd).
 * @returns the Hono app; serve it with `startServer` (server.ts) or call `app.request(...)`.
 */
export function createApp(deps: ApiDeps): ApiApp {
  const { search, store, logger } = deps;
  const now = deps.now ?? (() => performance.now());
  const policy = new AccessPolicy(deps.auth);
  const metrics = new ApiMetrics(search.queryCacheStats, deps.processMetrics ?? false);
  const rate = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  const corsOrigins = new Set(deps.corsOrigins ?? []);
  const openApi = JSON.stringify(openApiDocument(deps.version ?? API_VERSION));
  const indexHtml = renderIndexHtml({
    tokenRequired: policy.tokensConfigured && deps.auth.publicRepos.length === 0,
  });

  const app = new Hono<ApiEnv>();

  app.use(requestId());

  // Access log and metrics around everything, errors included (onError has set c.res by then).
  app.use(async (c, next) => {
    const start = now();
    await next();
    const seconds = (now() - start) / 1000;
    const matched = routePath(c);
    const route = c.res.status === 404 && (matched === '/*' || matched === '*') ? 'unmatched' : matched;
    metrics.observe(c.req.method, route, c.res.status, seconds);
    const principal = c.get('principal') as Principal | undefined;
    logger.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      route,
      status: c.res.status,
      ms: Math.round(seconds * 1e4) / 10,
      ...(principal ? { principal: principal.id } : {}),
    });
  });

  app.use(secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, referrerPolicy: 'no-referrer' }));

  app.use(
    '/v1/*',
    cors({
      origin: (origin) => (corsOrigins.has(origin) ? origin : null),
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      exposeHeaders: [
        'Retry-After',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
        'X-Request-Id',
      ],
      maxAge: 600,
    }),
  );

  app.use('/v1/*', async (c, next) => {
    c.set('principal', policy.resolve(c.req.header('Authorization')));
    await next();
  });

  app.use(
    '/v1/*',
    rateLimiter<ApiEnv>({
      windowMs: rate.windowMs,
      limit: rate.limit,
      standardHeaders: 'draft-6',
      keyGenerator: (c) => {
        const principal = c.get('principal');
        return principal.anonymous ? `anonymous:${clientAddress(c)}` : principal.id;
      },
      handler: (c) => {
        const info = c.get('rateLimit' as never) as { resetTime?: Date } | undefined;
        const reset = info?.resetTime
          ? Math.max(1, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000))
          : Math.ceil(rate.windowMs / 1000);
        throw new ApiError(
          429,
          'rate_limited',
          `rate limit of ${rate.limit} requests per ${rate.windowMs / 1000} s reached`,
          {
            hint: `retry in ${reset} s`,
            headers: { 'Retry-After': String(reset) },
          },
        );
      },
    }),
  );

  const runSearch = async (c: Context<ApiEnv>, params: SearchParams): Promise<Response> => {
    const principal = c.get('principal');
    if (params.repo !== undefined) policy.assertCanRead(principal, params.repo);
    const start = now();
    const cache = deps.responseCache;
    const result = cache
      ? await cache.get(responseCacheKey(principal, params), () => scopedSearch(search, store, principal, params))
      : await scopedSearch(search, store, principal, params);
    return c.json({
      query: params.q,
      mode: result.mode,
      k: params.k,
      results: result.results,
      tookMs: Math.round((now() - start) * 10) / 10,
    });
  };

  app.get('/v1/search', (c) => runSearch(c, parseSearchQuery(rawQueryString(c.req.url))));

  app.post(
    '/v1/search',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `body: larger than ${MAX_BODY_BYTES} bytes`);
      },
    }),
    async (c) => {
      if (c.req.query() && Object.keys(c.req.query()).length > 0) {
        throw new ApiError(
          400,
          'bad_request',
          'POST /v1/search takes its parameters in the JSON body, not in the query string',
        );
      }
      const type = c.req.header('Content-Type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(type)) {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'body: send JSON with "Content-Type: application/json"',
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await c.req.arrayBuffer()));
      } catch {
        throw new ApiError(400, 'bad_request', 'body: not valid UTF-8 JSON');
      }
      return runSearch(c, parseSearchBody(body));
    },
  );

  app.get('/v1/repos/:owner/:repo/status', async (c) => {
    const repo = `${c.req.param('owner')}/${c.req.param('repo')}`;
    if (!REPO_PATTERN.test(repo) || repo.length > 200) {
      throw new ApiError(400, 'bad_request', 'repo: must be "owner/name"');
    }
    policy.assertCanRead(c.get('principal'), repo);
    const states = await store.listStates(repo);
    // listStates(repo) filters by repo; check again so that a store ignoring the filter leaks nothing.
    const own = states.filter((s) => s.repo === repo);
    if (own.length === 0) {
      throw new ApiError(404, 'not_found', `${repo} is not indexed`, {
        hint: 'run the codeidx action or `codeidx index` on it',
      });
    }
    const refs = await Promise.all(
      own
        .sort((a, b) => a.ref.localeCompare(b.ref))
        .map(async (s) => ({
          ref: s.ref,
          commit: s.commit,
          pendingCommit: s.pendingCommit,
          status: s.status,
          model: s.model,
          chunkerVersion: s.chunkerVersion,
          startedAt: s.startedAt,
          completedAt: s.completedAt,
          points: await store.count({ repo: s.repo, ref: s.ref }),
          counts: s.counts,
        })),
    );
    return c.json({ repo, refs });
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    try {
      await store.count();
      return c.json({ status: 'ready' });
    } catch (error) {
      logger.warn('readiness check failed: the store does not answer', {
        error: error instanceof Error ? error.message : String(error),
      });
      return c.json({ status: 'unavailable', reason: 'the index store does not answer' }, 503);
    }
  });

  app.get('/metrics', async (c) => {
    const { body, contentType } = await metrics.render();
    return c.body(body, 200, { 'Content-Type': contentType });
  });

  app.get('/openapi.json', (c) =>
    c.body(openApi, 200, { 'Content-Type': 'application/json; charset=utf-8' }),
  );

  const asset = (body: string, type: string) => (c: Context<ApiEnv>) =>
    c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
  app.get('/', asset(indexHtml, 'text/html; charset=utf-8'));
  app.get('/docs', asset(DOCS_HTML, 'text/html; charset=utf-8'));
  app.get('/assets/app.js', asset(APP_JS, 'text/javascript; charset=utf-8'));
  app.get('/assets/docs.js', asset(DOCS_JS, 'text/javascript; charset=utf-8'));
  app.get('/assets/style.css', asset(STYLE_CSS, 'text/css; charset=utf-8'));
  app.get('/favicon.svg', asset(FAVICON_SVG, 'image/svg+xml'));
  app.get('/favicon.ico', (c) => c.redirect('/favicon.svg', 301));

  app.notFound((c) =>
    errorJson(c, 404, { error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }),
  );

  app.onError((error, c) => {
    const id = c.get('requestId');
    if (error instanceof ApiError) {
      return errorJson(
        c,
        error.status,
        {
          error: {
            code: error.code,
            message: error.message,
            ...(error.hint ? { hint: error.hint } : {}),
            requestId: id,
          },
        },
        { ...error.headers },
      );
    }
    if (error instanceof InvalidQueryError) {
      return errorJson(c, 400, {
        error: {
          code: 'bad_request',
          message: error.message,
          ...(error.hint ? { hint: error.hint } : {}),
          requestId: id,
        },
      });
    }
    if (error instanceof VectorStoreError) {
      logger.error('store failure', { requestId: id, error: error.message, hint: error.hint });
      return errorJson(
        c,
        503,
        {
          error: {
            code: 'unavailable',
            message: 'the index store is unavailable; try again shortly',
            requestId: id,
          },
        },
        { 'Retry-After': '5' },
      );
    }
    if (error instanceof HTTPException) {
      // Raised by Hono middleware (e.g. a malformed request); its message is meant for the client.
      const status = error.status;
      return errorJson(c, status, {
        error: {
          code: status === 401 ? 'unauthorized' : 'bad_request',
          message: error.message,
          requestId: id,
        },
      });
    }
    logger.error('unhandled error', {
      requestId: id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return errorJson(c, 500, { error: { code: 'internal', message: 'internal error', requestId: id } });
  });

  return app;
}
