/**
 * @module search-api/config — the API server's configuration, parsed once from the environment
 * (zod), and `createServerFromEnv`, which opens the store and the model and builds the app.
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | CODEIDX_STORE | path of the SQLite store built by `codeidx index` | required |
 * | CODEIDX_MODEL | embedding model (registry id[@revision], a directory, or `none`) | the store's model |
 * | CODEIDX_DEVICE | auto, cpu or cuda | auto |
 * | CODEIDX_MODEL_CACHE_DIR | where models are cached | the resolver's default |
 * | PORT, HOST | where to listen | 8080, 127.0.0.1 |
 * | CODEIDX_API_TOKENS | JSON: `[{"name","sha256","repos"}]` or `{"tokens":[…],"publicRepos":[…]}` | none |
 * | CODEIDX_API_TOKENS_FILE | a file with the same JSON (for mounted secrets) | none |
 * | CODEIDX_PUBLIC_REPOS | comma-separated repository patterns readable without a token (`*`/`*` for a local open server) | none |
 * | CODEIDX_CORS_ORIGINS | comma-separated origins allowed by CORS | none |
 * | CODEIDX_RATE_LIMIT | requests per minute per token | 120 |
 * | LOG_LEVEL | debug, info, warn, error, silent | info |
 * | CODEIDX_RESPONSE_CACHE | entries of the search-response cache (response-cache.ts), 0 turns it off | 1000 |
 * | CODEIDX_MEMORY_INDEX | 1: kNN from an in-memory copy of the vectors (≈ 45 MB per 100,000 chunks, built at start and after each index run); 0: kNN through sqlite-vec | 1 |
 */
import { existsSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { SqliteVectorStore } from '../adapters/sqlite/sqlite-vector-store.js';
import { NO_MODEL, openEmbedder, spaceOf } from '../cli/wiring.js';
import { ConfigError } from '../core/errors.js';
import { spaceLabel } from '../core/identity.js';
import type { Embedder, Logger, VectorStore } from '../core/ports.js';
import { SearchService } from '../core/search-service.js';
import { createApp, type ApiApp } from './app.js';
import { authConfigSchema, repoPatternSchema, type AuthConfig } from './auth.js';
import { createPinoLogger, type PinoLevel } from './pino-logger.js';
import { ResponseCache } from './response-cache.js';
import { startServer, type Fetchable, type RunningServer } from './server.js';

const csv = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const originSchema = z.string().refine(
  (o) => {
    try {
      const url = new URL(o);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === o;
    } catch {
      return false;
    }
  },
  {
    error:
      'each origin is scheme://host[:port] with no path or trailing "/", e.g. https://portal.example.com',
  },
);

const envSchema = z.object({
  CODEIDX_STORE: z
    .string({ error: 'is required: the path of the store file built by `codeidx index`' })
    .min(1, { error: 'must not be empty' }),
  CODEIDX_MODEL: z.string().min(1).optional(),
  CODEIDX_DEVICE: z.enum(['auto', 'cpu', 'cuda'], { error: 'must be auto, cpu or cuda' }).default('auto'),
  CODEIDX_MODEL_CACHE_DIR: z.string().min(1).optional(),
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, { error: 'must be a port number from 0 to 65535' })
    .transform(Number)
    .pipe(z.number().max(65_535, { error: 'must be a port number from 0 to 65535' }))
    .default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  CODEIDX_API_TOKENS: z.string().min(1).optional(),
  CODEIDX_API_TOKENS_FILE: z.string().min(1).optional(),
  CODEIDX_PUBLIC_REPOS: z.string().transform(csv).pipe(z.array(repoPatternSchema)).optional(),
  CODEIDX_CORS_ORIGINS: z.string().transform(csv).pipe(z.array(originSchema)).optional(),
  CODEIDX_RATE_LIMIT: z
    .string()
    .regex(/^\d{1,7}$/, { error: 'must be a whole number of requests per minute' })
    .transform(Number)
    .pipe(z.number().min(1, { error: 'must be at least 1' }))
    .default(120),
  CODEIDX_RESPONSE_CACHE: z
    .string()
    .regex(/^\d{1,7}$/, { error: 'must be a whole number of entries (0 turns the cache off)' })
    .transform(Number)
    .default(1_000),
  CODEIDX_MEMORY_INDEX: z
    .enum(['0', '1'], { error: 'must be 1 (in-memory kNN index) or 0 (sqlite-vec only)' })
    .transform((v) => v === '1')
    .default(true),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error', 'silent'], {
      error: 'must be debug, info, warn, error or silent',
    })
    .default('info'),
});

/** The server's configuration, parsed from the environment. */
export interface ServerConfig {
  readonly storePath: string;
  /** Model spec; undefined: the model the store was built with. */
  readonly model: string | undefined;
  readonly device: 'auto' | 'cpu' | 'cuda';
  readonly modelCacheDir: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly auth: AuthConfig;
  readonly corsOrigins: readonly string[];
  /** Requests per minute per token. */
  readonly rateLimitPerMinute: number;
  /** Entries of the search-response cache; 0: no cache. */
  readonly responseCacheEntries: number;
  /** kNN from the store's in-memory vector index (`SqliteVectorStoreOptions.memoryIndex`). */
  readonly memoryIndex: boolean;
  readonly logLevel: PinoLevel;
}

function issuesOf(error: z.ZodError, prefix: string): string[] {
  return error.issues.map(
    (i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`,
  );
}

function parseTokens(json: string, source: string): z.infer<typeof authConfigSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(
      `${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      {
        hint: 'expected [{"name": "ci", "sha256": "<sha256 of the token>", "repos": ["org/*"]}]',
      },
    );
  }
  const asObject = Array.isArray(raw) ? { tokens: raw } : raw;
  const parsed = authConfigSchema.safeParse(asObject);
  if (!parsed.success) {
    throw new ConfigError(`${source} is invalid:\n  ${issuesOf(parsed.error, source).join('\n  ')}`, {
      hint: 'each token is {"name", "sha256", "repos"}; compute sha256 with: printf %s "$TOKEN" | sha256sum',
    });
  }
  return parsed.data;
}

/**
 * Parses the server configuration from `env`.
 * @throws ConfigError listing every missing or invalid variable, one per line, each with what is expected.
 */
export function parseServerEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid server configuration:\n  ${issuesOf(parsed.error, '').join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.CODEIDX_API_TOKENS !== undefined && e.CODEIDX_API_TOKENS_FILE !== undefined) {
    throw new ConfigError('set CODEIDX_API_TOKENS or CODEIDX_API_TOKENS_FILE, not both');
  }
  let fromTokens: z.infer<typeof authConfigSchema> = { tokens: [], publicRepos: [] };
  if (e.CODEIDX_API_TOKENS !== undefined)
    fromTokens = parseTokens(e.CODEIDX_API_TOKENS, 'CODEIDX_API_TOKENS');
  if (e.CODEIDX_API_TOKENS_FILE !== undefined) {
    let text: string;
    try {
      text = readFileSync(e.CODEIDX_API_TOKENS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(`CODEIDX_API_TOKENS_FILE: cannot read ${e.CODEIDX_API_TOKENS_FILE}`, {
        cause: error,
        hint: 'check the path and its permissions',
      });
    }
    fromTokens = parseTokens(text, 'CODEIDX_API_TOKENS_FILE');
  }
  const publicRepos = [...fromTokens.publicRepos, ...(e.CODEIDX_PUBLIC_REPOS ?? [])];
  if (fromTokens.tokens.length === 0 && publicRepos.length === 0) {
    throw new ConfigError('no access is configured: every request would be refused', {
      hint: 'set CODEIDX_API_TOKENS (or CODEIDX_API_TOKENS_FILE) to tokens with repository scopes, or CODEIDX_PUBLIC_REPOS (e.g. "*/*" for a local server)',
    });
  }
  return {
    storePath: e.CODEIDX_STORE,
    model: e.CODEIDX_MODEL,
    device: e.CODEIDX_DEVICE,
    modelCacheDir: e.CODEIDX_MODEL_CACHE_DIR,
    port: e.PORT,
    host: e.HOST,
    auth: { tokens: fromTokens.tokens, publicRepos },
    corsOrigins: e.CODEIDX_CORS_ORIGINS ?? [],
    rateLimitPerMinute: e.CODEIDX_RATE_LIMIT,
    responseCacheEntries: e.CODEIDX_RESPONSE_CACHE,
    memoryIndex: e.CODEIDX_MEMORY_INDEX,
    logLevel: e.LOG_LEVEL,
  };
}

/** A configured API server, not yet listening. */
export interface ApiServer {
  readonly config: ServerConfig;
  readonly app: ApiApp;
  readonly logger: Logger;
  /** The search use case the app serves (shared with other surfaces in the same process, e.g. the App). */
  readonly search: SearchService;
  /** The store the app reads. */
  readonly store: VectorStore;
  /**
   * Starts listening on config.host:config.port. `handler` replaces the app as the request handler
   * (e.g. a router that sends the webhook path elsewhere and the rest to `app`).
   * Throws ConfigError when the port cannot be bound.
   */
  listen(handler?: Fetchable): Promise<RunningServer>;
  /** Stops the server gracefully (if listening), then closes the store and the model. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the API server from the environment: parses it, opens the store read-write (SQLite WAL:
 * readers never block the indexer), loads the model the store was built with, and creates the app.
 * @throws ConfigError for a bad variable or a missing store; ModelError when the model cannot be loaded;
 *   StoreCorruptError for a damaged store file.
 */
export async function createServerFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { logger?: Logger } = {},
): Promise<ApiServer> {
  const config = parseServerEnv(env);
  const logger = options.logger ?? createPinoLogger(config.logLevel);
  if (!existsSync(config.storePath)) {
    throw new ConfigError(`CODEIDX_STORE: no store at ${config.storePath}`, {
      hint: 'run `codeidx index` first, and point CODEIDX_STORE at the index-*.db it wrote',
    });
  }
  const space = SqliteVectorStore.readSpace(config.storePath);
  if (space === undefined) {
    throw new ConfigError(`CODEIDX_STORE: ${config.storePath} holds no codeidx index yet`, {
      hint: 'run `codeidx index` first',
    });
  }
  const model = config.model ?? (space ? `${space.modelId}@${space.revision}` : NO_MODEL);
  let embedder: Embedder | null = null;
  if (model !== NO_MODEL) {
    embedder = await openEmbedder({
      model,
      explicit: true,
      device: config.device,
      logger,
      ...(config.modelCacheDir ? { modelCacheDir: config.modelCacheDir } : {}),
    });
  }
  const loaded = spaceOf(embedder);
  if (spaceLabel(loaded) !== spaceLabel(space) || (loaded?.dims ?? 0) !== (space?.dims ?? 0)) {
    await embedder?.close();
    throw new ConfigError(
      `CODEIDX_MODEL: the store was built with ${spaceLabel(space)}, but the model is ${spaceLabel(loaded)}`,
      {
        hint: `unset CODEIDX_MODEL, or set it to ${space ? spaceLabel(space) : NO_MODEL}`,
      },
    );
  }
  const store = await SqliteVectorStore.open({
    path: config.storePath,
    space,
    logger,
    memoryIndex: config.memoryIndex,
  });
  try {
    await store.warmUp();
  } catch (error) {
    await store.close();
    await embedder?.close();
    throw error;
  }
  const search = new SearchService({ store, embedder });
  const app = createApp({
    search,
    store,
    auth: config.auth,
    logger,
    corsOrigins: config.corsOrigins,
    rateLimit: { limit: config.rateLimitPerMinute, windowMs: 60_000 },
    processMetrics: true,
    ...(config.responseCacheEntries > 0
      ? { responseCache: new ResponseCache(store, { maxEntries: config.responseCacheEntries }) }
      : {}),
  });
  logger.info('search API configured', {
    store: config.storePath,
    model: spaceLabel(space),
    device: embedder?.device ?? 'none',
    tokens: config.auth.tokens.length,
    publicRepos: config.auth.publicRepos,
  });

  let running: RunningServer | null = null;
  let closing: Promise<void> | null = null;
  return {
    config,
    app,
    logger,
    search,
    store,
    async listen(handler?: Fetchable) {
      running = await startServer(handler ?? app, { port: config.port, host: config.host, logger });
      return running;
    },
    close() {
      closing ??= (async () => {
        await running?.close();
        await store.close();
        await embedder?.close();
      })();
      return closing;
    },
  };
}
