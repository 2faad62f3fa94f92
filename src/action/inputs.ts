/**
 * @module action/inputs — reads the action's inputs (action.yml) once, validates them with zod and
 * returns a typed object. An invalid value is a `ConfigError` whose message names the input, says
 * what is accepted and what was given.
 *
 * Defaults are applied here as well as in action.yml: the runner fills in action.yml's defaults,
 * but a test, a local `node dist/action/index.js` or a composite step that maps only some inputs
 * does not. Each input is read as `INPUT_<NAME>` (what `core.getInput` reads, with the hyphens a
 * node action's runner keeps) and, when that is empty, `INPUT_<NAME_WITH_UNDERSCORES>` (the form
 * the composite action.yml maps, valid in every shell).
 */
import * as core from '@actions/core';
import * as z from 'zod';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_MODEL } from '../cli/wiring.js';
import { parseShard, type Shard } from './shard.js';

/** Largest accepted `batch-size`. */
export const MAX_BATCH_SIZE = 4096;

/** The inputs, parsed. */
export interface ActionInputs {
  /** Working tree to index, relative to GITHUB_WORKSPACE (or absolute). */
  readonly path: string;
  /** Qdrant base URL, or null for the embedded SQLite store at `storePath`. */
  readonly qdrantUrl: string | null;
  readonly qdrantApiKey: string | null;
  /** Qdrant collection (alias) name, or null for the default derived from the model. */
  readonly collection: string | null;
  /** Registry id[@revision], a model directory, or `none` (lexical-only). */
  readonly model: string;
  readonly device: 'auto' | 'cpu' | 'cuda';
  readonly mode: 'incremental' | 'full';
  /** Globs a file must match one of (empty: every file). */
  readonly include: readonly string[];
  /** Globs of files or folders to skip. */
  readonly exclude: readonly string[];
  /** Texts per embedding batch, or `auto` (larger on GPU). */
  readonly batchSize: number | 'auto';
  /** Persist the embedding cache (and model files) with the Actions cache. */
  readonly cache: boolean;
  /**
   * When the persisted embedding cache is restored: `lazy` once embedding has cost as long as the
   * restore is estimated to take (action/deferred-embedding-cache), `eager` before indexing.
   */
  readonly cacheRestore: 'lazy' | 'eager';
  /**
   * Qdrant: after a complete run, move the collection alias to this run's collection (a model change
   * goes live). Off by default: in a multi-tenant collection, switch only once every repository has
   * been re-indexed into the new collection.
   */
  readonly promoteAlias: boolean;
  /** Bytes above which a file is skipped as too large. */
  readonly maxFileBytes: number;
  /** This job's part of a full re-index split across a matrix, or null for all paths. */
  readonly shard: Shard | null;
  /** Directory (or `.db` file) of the embedded SQLite store. */
  readonly storePath: string;
  /** "owner/name" override, or null for GITHUB_REPOSITORY. */
  readonly repo: string | null;
  /** Full ref override ("refs/heads/main"), or null for the event's ref. */
  readonly ref: string | null;
  /** Token for the compare API fallback, or null to skip it. */
  readonly githubToken: string | null;
}

/** Every input name with its default (the same as action.yml's). */
export const INPUT_DEFAULTS = {
  path: '.',
  'qdrant-url': '',
  'qdrant-api-key': '',
  collection: '',
  model: DEFAULT_MODEL,
  device: 'auto',
  mode: 'incremental',
  include: '',
  exclude: '',
  'batch-size': 'auto',
  cache: 'true',
  'cache-restore': 'lazy',
  'promote-alias': 'false',
  'max-file-size': '1m',
  shard: '',
  'store-path': '.codeidx',
  repo: '',
  ref: '',
  'github-token': '',
} as const satisfies Record<string, string>;

/** Name of an input of action.yml. */
export type InputName = keyof typeof INPUT_DEFAULTS;

/** Reads one raw input; injectable for tests. Returns '' when unset. */
export type InputReader = (name: string) => string;

const defaultReader: InputReader = (name) => core.getInput(name) || core.getInput(name.replace(/-/g, '_'));

const optional = (inner: z.ZodType<string>) =>
  z.union([z.literal(''), inner]).transform((v) => (v === '' ? null : v));

/** "1m", "512k", "2 MiB", "1048576" → bytes. */
function parseByteSize(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(value.trim());
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('g')
    ? 1024 ** 3
    : unit.startsWith('m')
      ? 1024 ** 2
      : unit.startsWith('k')
        ? 1024
        : 1;
  const bytes = Math.round(Number(m[1]) * factor);
  return bytes >= 1 ? bytes : null;
}

/** Splits a multi-line or comma-separated list input; blank entries are dropped. */
function parseList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const schema = z.object({
  path: z.string().min(1, 'must name a folder'),
  'qdrant-url': optional(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:6333' }),
  ),
  'qdrant-api-key': optional(z.string()),
  collection: optional(
    z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, 'must be 1-255 letters, digits, "_", "-" or "."'),
  ),
  model: z.string().min(1, 'must be a model id, a model folder, or "none"'),
  device: z.enum(['auto', 'cpu', 'cuda'], { error: 'must be one of auto, cpu, cuda' }),
  mode: z.enum(['incremental', 'full'], { error: 'must be one of incremental, full' }),
  'cache-restore': z.enum(['lazy', 'eager'], { error: 'must be one of lazy, eager' }),
  include: z.string().transform(parseList),
  exclude: z.string().transform(parseList),
  'batch-size': z.union(
    [
      z.literal('auto'),
      z
        .string()
        .regex(/^\d+$/, `must be "auto" or an integer from 1 to ${MAX_BATCH_SIZE}`)
        .transform(Number)
        .pipe(
          z
            .number()
            .int()
            .min(1, `must be "auto" or an integer from 1 to ${MAX_BATCH_SIZE}`)
            .max(MAX_BATCH_SIZE, `must be "auto" or an integer from 1 to ${MAX_BATCH_SIZE}`),
        ),
    ],
    { error: `must be "auto" or an integer from 1 to ${MAX_BATCH_SIZE}` },
  ),
  'max-file-size': z.string().transform((v, ctx) => {
    const bytes = parseByteSize(v);
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a size such as 1048576, 512k or 2m' });
      return z.NEVER;
    }
    return bytes;
  }),
  shard: z.string().transform((v, ctx) => {
    if (v === '') return null;
    const parsed = parseShard(v);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  }),
  'store-path': z.string().min(1, 'must name a folder or a .db file'),
  repo: optional(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"')),
  ref: optional(z.string().regex(/^refs\/\S+$/, 'must be a full ref such as refs/heads/main')),
  'github-token': optional(z.string()),
});

/**
 * Reads and validates every input.
 * @throws ConfigError naming the first invalid input, e.g. `invalid input "batch-size": must be
 *   "auto" or an integer from 1 to 4096 (got "lots")`.
 */
export function readInputs(read: InputReader = defaultReader): ActionInputs {
  const raw: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(INPUT_DEFAULTS)) {
    const value = read(name).trim();
    raw[name] = value === '' ? fallback : value;
  }
  // Booleans follow getBooleanInput's YAML 1.2 core schema: true | True | TRUE | false | False | FALSE.
  const booleanInput = (name: 'cache' | 'promote-alias'): boolean => {
    const value = raw[name];
    if (!['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].includes(value)) {
      throw new ConfigError(`invalid input "${name}": must be true or false (got "${value}")`, {
        hint: `set \`${name}: true\` or \`${name}: false\` in the step's \`with:\``,
      });
    }
    return value.toLowerCase() === 'true';
  };
  const cache = booleanInput('cache');
  const promoteAlias = booleanInput('promote-alias');
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue.path[0] ?? 'unknown');
    const given = name === 'qdrant-api-key' || name === 'github-token' ? '***' : (raw[name] ?? '');
    throw new ConfigError(`invalid input "${name}": ${issue.message} (got "${given}")`, {
      hint: `fix \`${name}\` in the step's \`with:\` (see the inputs table of the codeidx action)`,
    });
  }
  const v = result.data;
  return {
    path: v.path,
    qdrantUrl: v['qdrant-url'],
    qdrantApiKey: v['qdrant-api-key'],
    collection: v.collection,
    model: v.model,
    device: v.device,
    mode: v.mode,
    include: v.include,
    exclude: v.exclude,
    batchSize: v['batch-size'],
    cache,
    cacheRestore: v['cache-restore'],
    promoteAlias,
    maxFileBytes: v['max-file-size'],
    shard: v.shard,
    storePath: v['store-path'],
    repo: v.repo,
    ref: v.ref,
    githubToken: v['github-token'],
  };
}
