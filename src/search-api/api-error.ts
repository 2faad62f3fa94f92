/**
 * @module search-api/api-error — the one error type the API's handlers throw; `app.onError` turns it
 * into `{ "error": { "code", "message", "hint"? } }` with its status and headers.
 */
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Machine-readable error codes of the API (the `error.code` field of every error response). */
export type ApiErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** The JSON body of every error response. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: ApiErrorCode;
    readonly message: string;
    readonly hint?: string;
    readonly requestId?: string;
  };
}

/** An HTTP error with a code, a message safe to show the caller, an optional hint and extra headers. */
export class ApiError extends HTTPException {
  readonly code: ApiErrorCode;
  readonly hint: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: ContentfulStatusCode,
    code: ApiErrorCode,
    message: string,
    options: { hint?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.hint = options.hint;
    this.headers = options.headers ?? {};
  }
}
