/**
 * @module search-api/search-params — validation of search requests at the edge (zod): the query string
 * of `GET /v1/search` and the JSON body of `POST /v1/search` go through one schema, so both accept
 * exactly the same fields with the same limits. Every error names the field it is about.
 */
import * as z from 'zod';
import { DEFAULT_K, MAX_K, MAX_QUERY_CHARS } from '../core/search-service.js';
import { SYMBOL_KINDS, type SearchMode, type SymbolKind } from '../core/types.js';
import { ApiError } from './api-error.js';

/** Longest `path` filter accepted, in characters (Git allows 4096-byte paths; prefixes this long are mistakes). */
export const MAX_PATH_CHARS = 1_024;
/** Longest `ref` accepted, in characters. */
export const MAX_REF_CHARS = 255;
/** Longest repository name accepted ("owner/name"); GitHub's own limits are 39 + 100. */
export const MAX_REPO_CHARS = 200;

/** The parameters every search request may carry. Anything else is rejected. */
export const SEARCH_PARAM_NAMES = ['q', 'repo', 'ref', 'path', 'lang', 'kind', 'k', 'mode'] as const;

// Any C0 control character or DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * "owner/name": one slash, no whitespace or control characters. Names of local indexes
 * ("local/<dir>") are accepted as long as they have this shape.
 */
// eslint-disable-next-line no-control-regex
export const REPO_PATTERN = /^[^/\s\u0000-\u001f\u007f]+\/[^/\s\u0000-\u001f\u007f]+$/;

const repoSchema = z
  .string()
  .max(MAX_REPO_CHARS, { error: `must be at most ${MAX_REPO_CHARS} characters` })
  .regex(REPO_PATTERN, { error: 'must be "owner/name"' });

/**
 * A ref: a full ref ("refs/heads/main", "refs/tags/v1") or a branch name ("main" → "refs/heads/main").
 * Rejects what `git check-ref-format` rejects that could confuse a filter: control characters, spaces,
 * "..", "~^:?*[\", a leading or trailing "/" or ".".
 */
const refSchema = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(MAX_REF_CHARS, { error: `must be at most ${MAX_REF_CHARS} characters` })
  .refine((r) => !CONTROL.test(r) && !/[\s~^:?*[\\]/.test(r) && !r.includes('..') && !/^[/.]|[/.]$/.test(r), {
    error: 'is not a valid git ref (e.g. "main" or "refs/heads/main")',
  })
  .transform((r) => (r.startsWith('refs/') ? r : `refs/heads/${r}`));

/**
 * A repo-relative folder or file prefix. Rejected: "..", "." segments, absolute paths, backslashes,
 * drive letters and control characters (NUL included): a filter never leaves the repository's tree and
 * never means two things on two platforms.
 */
const pathSchema = z
  .string()
  .max(MAX_PATH_CHARS, { error: `must be at most ${MAX_PATH_CHARS} characters` })
  .superRefine((p, ctx) => {
    const fail = (why: string): void => ctx.addIssue({ code: 'custom', message: why });
    if (CONTROL.test(p)) return fail('must not contain control characters');
    if (p.includes('\\')) return fail('must use "/" separators, not backslashes');
    if (p.startsWith('/') || /^[A-Za-z]:/.test(p))
      return fail('must be relative to the repository root (no leading "/" or drive)');
    const segments = p.replace(/\/+$/, '').split('/');
    if (segments.some((s) => s === '..')) return fail('must not contain ".." segments');
    if (segments.some((s, i) => s === '' && i > 0) || segments.some((s) => s === '.')) {
      return fail('must be a plain folder or file path such as "src/core" (no "//" or "." segments)');
    }
  })
  .transform((p) => p.replace(/\/+$/, ''));

const langSchema = z.string().regex(/^[a-z0-9][a-z0-9+#._-]{0,39}$/i, {
  error: 'must be a language name such as "typescript" or "go"',
});

const kindSchema = z.enum(SYMBOL_KINDS as [SymbolKind, ...SymbolKind[]], {
  error: `must be one of ${SYMBOL_KINDS.join(', ')}`,
});

const modeSchema = z.enum(['hybrid', 'semantic', 'lexical'], {
  error: 'must be hybrid, semantic or lexical',
});

const qSchema = z
  .string({ error: 'is required' })
  .max(MAX_QUERY_CHARS, { error: `must be at most ${MAX_QUERY_CHARS} characters` })
  .refine((q) => !q.includes('\u0000'), { error: 'must not contain NUL characters' })
  .transform((q) => q.trim())
  .refine((q) => q.length > 0, { error: 'must not be empty' });

const kRange = z
  .number({ error: 'must be an integer' })
  .int({ error: 'must be an integer' })
  .min(1, { error: `must be from 1 to ${MAX_K}` })
  .max(MAX_K, { error: `must be from 1 to ${MAX_K}` });

function searchSchema<K extends z.ZodType<number, unknown>>(k: K) {
  return z.strictObject({
    q: qSchema,
    repo: repoSchema.optional(),
    ref: refSchema.optional(),
    path: pathSchema.optional(),
    lang: langSchema.optional(),
    kind: kindSchema.optional(),
    k: k.optional(),
    mode: modeSchema.optional(),
  });
}

/** Schema of the JSON body of `POST /v1/search` (also used for the OpenAPI document). */
export const searchBodySchema = searchSchema(kRange);

/** Schema of the query string of `GET /v1/search`: the same fields, all strings; `k` in decimal digits. */
export const searchQuerySchema = searchSchema(
  z
    .string()
    .regex(/^\d{1,6}$/, { error: `must be an integer from 1 to ${MAX_K}` })
    .transform(Number)
    .pipe(kRange),
);

/** A validated search request: `q` trimmed, `ref` a full ref, `path` without trailing "/", defaults applied. */
export interface SearchParams {
  readonly q: string;
  readonly repo?: string;
  readonly ref?: string;
  readonly path?: string;
  readonly lang?: string;
  readonly kind?: SymbolKind;
  readonly k: number;
  readonly mode: SearchMode;
}

/** "field: message; field2: message" from a zod error, each issue naming its field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')} (allowed: ${SEARCH_PARAM_NAMES.join(', ')})`;
      }
      const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

function finish(parsed: z.infer<typeof searchBodySchema>): SearchParams {
  return {
    q: parsed.q,
    k: parsed.k ?? DEFAULT_K,
    mode: parsed.mode ?? 'hybrid',
    ...(parsed.repo !== undefined ? { repo: parsed.repo } : {}),
    ...(parsed.ref !== undefined ? { ref: parsed.ref } : {}),
    ...(parsed.path !== undefined && parsed.path !== '' ? { path: parsed.path } : {}),
    ...(parsed.lang !== undefined ? { lang: parsed.lang } : {}),
    ...(parsed.kind !== undefined ? { kind: parsed.kind } : {}),
  };
}

/**
 * Decodes a raw query string ("a=1&b=x%20y", without "?") strictly: `+` is a space, every
 * percent-escape must decode to valid UTF-8, and no parameter may appear twice.
 * @throws ApiError 400 naming the parameter otherwise.
 */
export function decodeQueryString(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    } catch {
      throw new ApiError(400, 'bad_request', 'a parameter name is not valid percent-encoded UTF-8');
    }
    try {
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw new ApiError(400, 'bad_request', `${key}: is not valid percent-encoded UTF-8`, {
        hint: 'encode the value as UTF-8 before percent-encoding it (encodeURIComponent does)',
      });
    }
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      throw new ApiError(400, 'bad_request', `${key}: given more than once`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * Validates the query string of `GET /v1/search`.
 * @throws ApiError 400 naming each bad or unknown parameter.
 */
export function parseSearchQuery(rawQueryString: string): SearchParams {
  const result = searchQuerySchema.safeParse(decodeQueryString(rawQueryString));
  if (!result.success) throw new ApiError(400, 'bad_request', describeZodError(result.error));
  return finish(result.data);
}

/**
 * Validates the JSON body of `POST /v1/search`.
 * @throws ApiError 400 naming each bad or unknown field (or saying the body is not a JSON object).
 */
export function parseSearchBody(body: unknown): SearchParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'bad_request', 'body: must be a JSON object such as {"q": "parse config"}');
  }
  const result = searchBodySchema.safeParse(body);
  if (!result.success) throw new ApiError(400, 'bad_request', describeZodError(result.error));
  return finish(result.data);
}
