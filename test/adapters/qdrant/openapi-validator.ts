/**
 * Validates HTTP requests (and, optionally, responses) against Qdrant's own OpenAPI document
 * (`../shared/qdrant/openapi.json`, server 1.19). Used by the in-process Qdrant fake so that every
 * request the adapter sends is checked against the real server's schema: the path and method must
 * exist, query parameters (`wait`, `timeout`, …) must be declared and well-typed, and the JSON body
 * must satisfy the operation's `requestBody` schema with every `$ref` resolved.
 *
 * OpenAPI 3.0 is not JSON Schema: the schemas are converted before Ajv sees them —
 * - `nullable: true` becomes a `null` alternative (`type: [t, "null"]`, or `anyOf: [schema, {type: "null"}]`);
 * - `$ref: "#/components/schemas/X"` is made absolute so that each operation's schema compiles alone;
 * - Qdrant's Rust formats (`uint`, `uint32`, `uint64`, `int64`, `float`, `double`, …) are registered;
 * - with `strictObjects` (default), an object schema that lists `properties` and says nothing of
 *   `additionalProperties` rejects unknown keys. The server itself ignores some unknown keys, so this
 *   is stricter than Qdrant on purpose: a misspelt field (`with_vectors`) would otherwise be silently
 *   ignored by the server and never noticed.
 *
 * @module test/adapters/qdrant/openapi-validator
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';

/** Default location of the document: `shared/qdrant/openapi.json` beside the repository. */
export const QDRANT_OPENAPI_PATH = fileURLToPath(
  new URL('../../../../shared/qdrant/openapi.json', import.meta.url),
);

const SCHEMA_ID = 'qdrant-openapi';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonObject }> }>;
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  pathParams: string[];
  /** Number of templated segments: literal paths win over templates ("/collections/aliases"). */
  templated: number;
  operation: Operation;
  operationId: string;
  validateBody: ValidateFunction | null;
  validateQuery: ValidateFunction;
  validateResponse: ValidateFunction | null;
}

/** A request as the validator sees it. `body` is the parsed JSON body, or undefined when there is none. */
export interface RequestToValidate {
  readonly method: string;
  /** Path and query string as received, e.g. "/collections/c/points?wait=true". */
  readonly url: string;
  readonly body: unknown;
}

/** Outcome of validating one request. `operationId` is null when no path/method matched. */
export interface RequestValidation {
  readonly operationId: string | null;
  /** Path parameters, decoded ("collection_name" → "codeidx_x"). */
  readonly pathParams: Record<string, string>;
  /** Query parameters after type coercion ("wait=true" → true). */
  readonly query: Record<string, unknown>;
  /** Human-readable errors; empty when the request is valid. */
  readonly errors: string[];
}

/** Options of `OpenApiValidator`. */
export interface OpenApiValidatorOptions {
  /** Path of the OpenAPI document (default `QDRANT_OPENAPI_PATH`). */
  readonly path?: string;
  /** Reject unknown keys in objects that list their properties (default true; see the module doc). */
  readonly strictObjects?: boolean;
}

/** Converts an OpenAPI 3.0 schema node to JSON Schema (draft-07) for Ajv. Pure; returns a new tree. */
export function toJsonSchema(node: Json, strictObjects: boolean): Json {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, strictObjects));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'deprecated') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) {
      out[key] = `${SCHEMA_ID}${value}`;
    } else if (key === 'properties' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // Property names are not schema keywords: convert each property's schema, keep the names.
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, toJsonSchema(v, strictObjects)]),
      );
    } else {
      out[key] = toJsonSchema(value, strictObjects);
    }
  }
  if (strictObjects && out.properties !== undefined && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (node.nullable === true) {
    const rest = Object.keys(out).filter((k) => k !== 'description' && k !== 'default');
    if (rest.length === 0) return { type: 'null' };
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const UINT_MAX: Record<string, number> = { uint8: 0xff, uint16: 0xffff, uint32: 0xffff_ffff };

function newAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes, validateFormats: true });
  // ajv-formats is CommonJS (`exports.default = formatsPlugin`): under NodeNext the plugin is `.default`.
  ajvFormats.default.default(ajv);
  for (const name of ['uint', 'uint8', 'uint16', 'uint32', 'uint64', 'usize']) {
    const max = UINT_MAX[name] ?? Number.MAX_SAFE_INTEGER;
    ajv.addFormat(name, {
      type: 'number',
      validate: (x: number) => Number.isInteger(x) && x >= 0 && x <= max,
    });
  }
  for (const name of ['int', 'int32', 'int64']) {
    ajv.addFormat(name, { type: 'number', validate: (x: number) => Number.isInteger(x) });
  }
  for (const name of ['float', 'double']) {
    ajv.addFormat(name, { type: 'number', validate: (x: number) => Number.isFinite(x) });
  }
  ajv.addFormat('partial-date-time', true);
  return ajv;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Request validator over Qdrant's OpenAPI document. Construct once per test file (compiling takes
 * a few hundred milliseconds); `validateRequest` is then cheap.
 */
export class OpenApiValidator {
  /** Server version the document describes (`info.version`, "master" for Qdrant's own file). */
  readonly documentVersion: string;
  private readonly routes: Route[] = [];

  constructor(options: OpenApiValidatorOptions = {}) {
    const doc = JSON.parse(readFileSync(options.path ?? QDRANT_OPENAPI_PATH, 'utf8')) as {
      info: { version: string };
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Json> };
    };
    this.documentVersion = doc.info.version;
    const strict = options.strictObjects ?? true;
    const root = toJsonSchema({ $id: SCHEMA_ID, components: doc.components as unknown as Json }, strict);
    const bodies = newAjv(false);
    const queries = newAjv(true);
    bodies.addSchema(root as object);
    queries.addSchema(root as object);

    for (const [template, methods] of Object.entries(doc.paths)) {
      const pathParams: string[] = [];
      const pattern = template
        .split('/')
        .map((segment) => {
          const m = /^\{(.+)\}$/.exec(segment);
          if (!m) return escapeRegex(segment);
          pathParams.push(m[1]);
          return '([^/]+)';
        })
        .join('/');
      for (const method of HTTP_METHODS) {
        const operation = methods[method];
        if (!operation) continue;
        const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
        const queryParams = (operation.parameters ?? []).filter((p) => p.in === 'query');
        const querySchema = {
          type: 'object',
          properties: Object.fromEntries(
            queryParams.map((p) => [p.name, toJsonSchema(p.schema ?? {}, strict)]),
          ),
          required: queryParams.filter((p) => p.required).map((p) => p.name),
          additionalProperties: false,
        };
        const okResponse = operation.responses?.['200']?.content?.['application/json']?.schema;
        this.routes.push({
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${pattern}$`),
          pathParams,
          templated: pathParams.length,
          operation,
          operationId: operation.operationId ?? `${method} ${template}`,
          validateBody: bodySchema ? bodies.compile(toJsonSchema(bodySchema, strict) as object) : null,
          validateQuery: queries.compile(querySchema),
          validateResponse: okResponse ? bodies.compile(toJsonSchema(okResponse, strict) as object) : null,
        });
      }
    }
    this.routes.sort((a, b) => a.templated - b.templated);
  }

  /** Validates method, path, query parameters and JSON body of one request. */
  validateRequest(request: RequestToValidate): RequestValidation {
    const url = new URL(request.url, 'http://validator.invalid');
    const method = request.method.toUpperCase();
    const pathname = url.pathname.replace(/\/+$/, '') || '/';
    const candidates = this.routes.filter((r) => r.regex.test(pathname));
    if (candidates.length === 0) {
      return {
        operationId: null,
        pathParams: {},
        query: {},
        errors: [`no such path in the Qdrant API: ${pathname}`],
      };
    }
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      const allowed = [...new Set(candidates.map((r) => r.method))].join(', ');
      return {
        operationId: null,
        pathParams: {},
        query: {},
        errors: [`method ${method} not allowed on ${pathname} (allowed: ${allowed})`],
      };
    }
    const errors: string[] = [];
    const match = route.regex.exec(pathname);
    const pathParams: Record<string, string> = {};
    route.pathParams.forEach((name, i) => {
      pathParams[name] = decodeURIComponent(match?.[i + 1] ?? '');
    });

    const query: Record<string, unknown> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    if (!route.validateQuery(query)) {
      errors.push(`query ${url.search}: ${formatErrors(route.validateQuery)}`);
    }

    if (route.validateBody) {
      if (request.body === undefined) {
        if (route.operation.requestBody?.required) errors.push('request body is required');
      } else if (!route.validateBody(request.body)) {
        errors.push(`body: ${formatErrors(route.validateBody)}`);
      }
    } else if (request.body !== undefined) {
      errors.push(`${route.operationId} takes no request body`);
    }
    return { operationId: route.operationId, pathParams, query, errors };
  }

  /** Validates a 200 response body of `operationId` (the fake's own answers). Returns errors, empty when valid. */
  validateResponse(operationId: string, body: unknown): string[] {
    const route = this.routes.find((r) => r.operationId === operationId);
    if (!route) return [`unknown operation ${operationId}`];
    if (!route.validateResponse || route.validateResponse(body)) return [];
    return [`response of ${operationId}: ${formatErrors(route.validateResponse)}`];
  }
}

function formatErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map(
      (e) =>
        `${e.instancePath || '/'} ${e.message ?? 'invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    )
    .join('; ');
}
