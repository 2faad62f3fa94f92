/**
 * @module app/read-app-env — the App's configuration from environment variables (parsed once, with
 * zod), and a lazily opened embedded backend (SQLite store + model) for `index.ts`.
 *
 * Probot itself reads `APP_ID`, `PRIVATE_KEY`/`PRIVATE_KEY_PATH`, `WEBHOOK_SECRET`, `WEBHOOK_PATH`, `LOG_LEVEL`…
 * (probot `src/bin/read-env-options.ts`); the variables below are codeidx's own.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { NO_MODEL, openEmbedder, openStore, readManifest, spaceOf, storeFileName } from '../cli/wiring.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { SearchService } from '../core/search-service.js';
import type { SearchAppDeps, SearchBackend } from './create-search-app.js';
import { DEFAULT_APP_RATE_LIMIT } from './repo-rate-limiter.js';

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  /** Folder of the embedded index (manifest.json + index-*.db), as written by `codeidx index`. */
  CODEIDX_DATA_DIR: z.string().min(1).default('.codeidx'),
  /** Model of the index to search (default: the one recorded in the manifest). */
  CODEIDX_MODEL: z.string().min(1).optional(),
  /** Folder of downloaded models. */
  CODEIDX_MODEL_CACHE: z.string().min(1).optional(),
  /** Searches per repository and window. */
  CODEIDX_APP_RATE_LIMIT: positiveInt.default(DEFAULT_APP_RATE_LIMIT.limit),
  /** Rate-limit window in milliseconds. */
  CODEIDX_APP_RATE_WINDOW_MS: positiveInt.default(DEFAULT_APP_RATE_LIMIT.windowMs),
  /** The App's bot login ("<slug>[bot]"); restricts which comments are updated as earlier replies. */
  CODEIDX_APP_BOT_LOGIN: z
    .string()
    .regex(/^[A-Za-z0-9-]+\[bot\]$/)
    .optional(),
});

/** The App's settings. */
export interface AppEnv {
  readonly dataDir: string;
  readonly model: string | undefined;
  readonly modelCacheDir: string | undefined;
  readonly rateLimit: { readonly limit: number; readonly windowMs: number };
  readonly botLogin: string | undefined;
}

/**
 * Parses the App's environment variables.
 * @throws ConfigError naming the first invalid variable.
 */
export function readAppEnv(env: NodeJS.ProcessEnv = process.env): AppEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `invalid environment variable ${String(issue?.path[0] ?? '')}: ${issue?.message ?? 'invalid'}`,
      {
        hint: 'see docs/app.md for the App’s environment variables',
      },
    );
  }
  const e = parsed.data;
  return {
    dataDir: resolve(e.CODEIDX_DATA_DIR),
    model: e.CODEIDX_MODEL,
    modelCacheDir: e.CODEIDX_MODEL_CACHE,
    rateLimit: { limit: e.CODEIDX_APP_RATE_LIMIT, windowMs: e.CODEIDX_APP_RATE_WINDOW_MS },
    botLogin: e.CODEIDX_APP_BOT_LOGIN,
  };
}

/**
 * A backend factory over the embedded store of `env.dataDir`: opened on first use and kept open
 * (a failed open is not cached, so the next command retries).
 * @throws ConfigError (from the returned function) when the data directory holds no index.
 */
export function embeddedBackend(env: AppEnv): (logger: Logger) => Promise<SearchBackend> {
  let opening: Promise<SearchBackend> | null = null;
  const open = async (logger: Logger): Promise<SearchBackend> => {
    const model = env.model ?? readManifest(env.dataDir)?.model ?? NO_MODEL;
    const embedder = await openEmbedder({
      model,
      explicit: true,
      device: 'auto',
      logger,
      ...(env.modelCacheDir ? { modelCacheDir: env.modelCacheDir } : {}),
    });
    const path = join(env.dataDir, storeFileName(spaceOf(embedder)));
    if (!existsSync(path)) {
      await embedder?.close();
      throw new ConfigError(`no codeidx index for model ${model} in ${env.dataDir}`, {
        hint: 'set CODEIDX_DATA_DIR to the folder written by `codeidx index` (or by the action)',
      });
    }
    const store = await openStore(path, spaceOf(embedder), logger, { memoryIndex: true });
    return { service: new SearchService({ store, embedder }), store };
  };
  return (logger) => {
    opening ??= open(logger).catch((error: unknown) => {
      opening = null;
      throw error;
    });
    return opening;
  };
}

/** `SearchAppDeps` from the environment (embedded store, rate limit, bot login). */
export function appDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SearchAppDeps {
  const appEnv = readAppEnv(env);
  return {
    backend: embeddedBackend(appEnv),
    rateLimit: appEnv.rateLimit,
    ...(appEnv.botLogin ? { botLogin: appEnv.botLogin } : {}),
  };
}
