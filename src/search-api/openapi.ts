/**
 * @module search-api/openapi — the OpenAPI 3.1 document of the API, served at `/openapi.json`.
 * Request and response shapes come from the zod schemas (`z.toJSONSchema`), so the document cannot
 * drift from the validation; the paths are written here by hand.
 */
import * as z from 'zod';
import { DEFAULT_K, MAX_K, MAX_QUERY_CHARS } from '../core/search-service.js';
import { SYMBOL_KINDS } from '../core/types.js';
import { searchBodySchema } from './search-params.js';

const resultSchema = z.object({
  repo: z.string().describe('"owner/name"'),
  ref: z.string().describe('Full ref, e.g. "refs/heads/main"'),
  commit: z
    .string()
    .nullable()
    .describe('Commit the chunk was indexed at (40 hex), or null for a plain directory'),
  path: z.string(),
  language: z.string(),
  startLine: z.number().int().describe('1-based, inclusive'),
  endLine: z.number().int().describe('1-based, inclusive'),
  symbol: z.string().nullable(),
  symbolKind: z.enum(SYMBOL_KINDS as [string, ...string[]]),
  snippet: z.string().describe('The code of the chunk'),
  truncated: z.boolean().describe('Whether the snippet was cut'),
  score: z.number().describe('RRF score (hybrid) or the retriever score; higher is better'),
  permalink: z.string().describe('Link to the lines on GitHub at the indexed commit'),
});

/** Schema of a `/v1/search` response (exported for tests). */
export const searchResponseSchema = z.object({
  query: z.string(),
  mode: z.enum(['hybrid', 'semantic', 'lexical']).describe('The mode actually used'),
  k: z.number().int(),
  results: z.array(resultSchema),
  tookMs: z.number(),
});

const countsSchema = z
  .record(z.string(), z.unknown())
  .describe('Counters of the last run (files, chunks, embedded …)');

/** Schema of a `/v1/repos/{owner}/{repo}/status` response (exported for tests). */
export const statusResponseSchema = z.object({
  repo: z.string(),
  refs: z.array(
    z.object({
      ref: z.string(),
      commit: z.string().nullable().describe('Last completely indexed commit'),
      pendingCommit: z.string().nullable().describe('Commit a run in progress is indexing'),
      status: z.enum(['in_progress', 'complete']),
      model: z.string().describe('"modelId@revision", or "none" for lexical-only'),
      chunkerVersion: z.number().int(),
      startedAt: z.string(),
      completedAt: z.string().nullable(),
      points: z.number().int().describe('Chunks stored for this ref'),
      counts: countsSchema,
    }),
  ),
});

/** Schema of every error response. */
export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    requestId: z.string().optional(),
  }),
});

function json(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
}

const errorRef = { $ref: '#/components/schemas/Error' };
const errors = (...statuses: number[]): Record<string, unknown> =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: ERROR_TEXT[s] ?? 'Error', content: { 'application/json': { schema: errorRef } } },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid parameter (the message names it)',
  401: 'Missing or invalid bearer token',
  403: 'The token may not read this repository',
  404: 'Not indexed',
  413: 'Body too large',
  415: 'Body is not JSON',
  429: 'Rate limited (see Retry-After)',
  503: 'The index store is unavailable',
};

const searchQueryParameters = [
  {
    name: 'q',
    required: true,
    description: `Query text, 1-${MAX_QUERY_CHARS} characters. Plain text: quotes, "*" and operators are not syntax.`,
  },
  { name: 'repo', description: '"owner/name"; default: every repository the token may read' },
  { name: 'ref', description: 'Full ref ("refs/heads/main") or branch name ("main")' },
  { name: 'path', description: 'Folder or file prefix relative to the repository root ("src/core")' },
  { name: 'lang', description: 'Language, e.g. "typescript"' },
  { name: 'kind', description: `Symbol kind: ${SYMBOL_KINDS.join(', ')}` },
  {
    name: 'k',
    description: `Number of results, 1-${MAX_K} (default ${DEFAULT_K})`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_K },
  },
  {
    name: 'mode',
    description: 'hybrid (default), semantic or lexical',
    schema: { type: 'string', enum: ['hybrid', 'semantic', 'lexical'] },
  },
].map((p) => ({ in: 'query', required: false, schema: { type: 'string' }, ...p }));

/** The OpenAPI 3.1 document; paths are relative to where it is served. `version` is the API's version string. */
export function openApiDocument(version: string): Record<string, unknown> {
  const security = [{ bearer: [] }, {}];
  return {
    openapi: '3.1.0',
    info: {
      title: 'codeidx search API',
      version,
      description:
        'Hybrid (semantic + lexical) code search over indexed repositories. Every result is limited to the ' +
        'repositories the bearer token may read. Errors are `{"error": {"code", "message", "hint"}}`.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from the server configuration' },
      },
      schemas: {
        SearchRequest: json(searchBodySchema, 'input'),
        SearchResponse: json(searchResponseSchema),
        StatusResponse: json(statusResponseSchema),
        Error: json(errorResponseSchema),
      },
    },
    paths: {
      '/v1/search': {
        get: {
          operationId: 'searchGet',
          summary: 'Search code',
          security,
          parameters: searchQueryParameters,
          responses: {
            200: {
              description: 'Ranked results',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchResponse' } } },
            },
            ...errors(400, 401, 403, 429, 503),
          },
        },
        post: {
          operationId: 'searchPost',
          summary: 'Search code (JSON body)',
          security,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchRequest' } } },
          },
          responses: {
            200: {
              description: 'Ranked results',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchResponse' } } },
            },
            ...errors(400, 401, 403, 413, 415, 429, 503),
          },
        },
      },
      '/v1/repos/{owner}/{repo}/status': {
        get: {
          operationId: 'repoStatus',
          summary: 'Index freshness of a repository: indexed commit per ref, when, counts, model',
          security,
          parameters: [
            { name: 'owner', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'repo', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: {
            200: {
              description: 'Index state per ref',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/StatusResponse' } } },
            },
            ...errors(400, 401, 403, 404, 429, 503),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Liveness: the process answers',
          responses: { 200: { description: 'OK' } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          summary: 'Readiness: the index store answers',
          responses: { 200: { description: 'Ready' }, 503: { description: 'The store is unreachable' } },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics (text format)',
          responses: { 200: { description: 'Metrics' } },
        },
      },
    },
  };
}
