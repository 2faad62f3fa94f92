/**
 * Failure handling for Qdrant requests: which failures are transient (retried with backoff) and how a
 * final failure becomes a `VectorStoreError` whose message names the server URL and the operation.
 *
 * The client (`@qdrant/js-client-rest`) surfaces failures as:
 * - an `ApiError`-like object with a numeric `status` and the parsed body in `data` (non-2xx answers);
 *   Qdrant's body is `{ status: { error: "…" } }`;
 * - `QdrantClientResourceExhaustedError` (429 with `Retry-After`, seconds in `retry_after`);
 * - `QdrantClientTimeoutError` (the client's own request timeout);
 * - a `TypeError("fetch failed")` whose `cause` carries a Node/undici `code` (ECONNREFUSED, …) when the
 *   server cannot be reached.
 * The checks below are structural so that they do not depend on the client's transitive packages.
 *
 * @module adapters/qdrant/qdrant-errors
 */
import { QdrantClientResourceExhaustedError, QdrantClientTimeoutError } from '@qdrant/js-client-rest';
import { VectorStoreError } from '../../core/errors.js';

/** HTTP statuses worth retrying: rate limiting and server-side/transient gateway failures. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Socket-level error codes worth retrying (Node `net`/`dns` and undici codes). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** HTTP status of a failed client call, or undefined when there was no HTTP answer. */
export function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof QdrantClientResourceExhaustedError) return 429;
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = error.status;
    if (typeof status === 'number') return status;
  }
  const match = error instanceof Error ? /Unexpected Response: (\d{3})/.exec(error.message) : null;
  return match ? Number(match[1]) : undefined;
}

/** Socket error code (ECONNREFUSED, …) of a failed fetch, or undefined. Follows `cause` chains. */
export function connectionCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('E'))) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') return 'fetch failed';
  return undefined;
}

/** The server's error text (`status.error` of Qdrant's answer), or the error's own message. */
export function serverMessageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'data' in error) {
    const data = error.data;
    if (typeof data === 'object' && data !== null) {
      const status = (data as { status?: unknown }).status;
      if (
        typeof status === 'object' &&
        status !== null &&
        typeof (status as { error?: unknown }).error === 'string'
      ) {
        return (status as { error: string }).error;
      }
    }
    if (typeof data === 'string' && data.length > 0) return data.slice(0, 500);
  }
  return error instanceof Error ? error.message : String(error);
}

/** True when retrying the same request may succeed: 408/429/5xx, a timeout, or a connection failure. */
export function isTransientQdrantError(error: unknown): boolean {
  if (error instanceof VectorStoreError) return false;
  if (error instanceof QdrantClientTimeoutError) return true;
  const status = httpStatusOf(error);
  if (status !== undefined) return TRANSIENT_STATUSES.has(status);
  const code = connectionCodeOf(error);
  return code !== undefined && (TRANSIENT_CODES.has(code) || code === 'fetch failed');
}

/** Seconds the server asked us to wait (429 `Retry-After`), or undefined. */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  return error instanceof QdrantClientResourceExhaustedError ? error.retry_after : undefined;
}

/**
 * Wraps the final failure of `operation` against the server at `url` in a `VectorStoreError`
 * (client error as `cause`), with a message that names the URL and a hint for the usual fix.
 */
export function toVectorStoreError(
  error: unknown,
  url: string,
  operation: string,
  attempts: number,
): VectorStoreError {
  if (error instanceof VectorStoreError) return error;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (error instanceof QdrantClientTimeoutError) {
    return new VectorStoreError(`Qdrant at ${url} did not answer ${operation} in time${tries}`, {
      cause: error,
      hint: 'check the server load, or raise the request timeout (timeoutMs)',
    });
  }
  const status = httpStatusOf(error);
  if (status === undefined) {
    const code = connectionCodeOf(error) ?? (error instanceof Error ? error.message : String(error));
    return new VectorStoreError(`Qdrant at ${url} is unreachable (${code}) during ${operation}${tries}`, {
      cause: error,
      hint: 'start Qdrant or fix the URL (QDRANT_URL); check network access and TLS (https://) settings',
    });
  }
  const detail = serverMessageOf(error);
  if (status === 401 || status === 403) {
    return new VectorStoreError(`Qdrant at ${url} refused ${operation} (${status}): ${detail}`, {
      cause: error,
      hint: 'set the API key of this server (QDRANT_API_KEY); it is sent in the api-key header',
    });
  }
  return new VectorStoreError(`Qdrant at ${url} failed ${operation} (${status})${tries}: ${detail}`, {
    cause: error,
    hint:
      status >= 500 || status === 429
        ? 'the server is failing or overloaded; retry later, and check its logs'
        : 'the request was rejected; check that the server runs Qdrant 1.19 or newer',
  });
}
