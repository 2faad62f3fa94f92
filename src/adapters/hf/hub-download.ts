/**
 * @module adapters/hf/hub-download — downloads one file of a Hugging Face Hub repository into a
 * cache directory, verified, atomically (temp file + rename), with retries (p-retry).
 *
 * URL: `{endpoint}/{repo}/resolve/{revision}/{path}` (the Hub's file endpoint, as used by huggingface_hub).
 * Verification, in order: the pinned sha256 of the registry; else the sha256 the Hub reports for an LFS
 * file in the `X-Linked-ETag` header of a HEAD request that does not follow the redirect (it is the LFS
 * object id, i.e. the sha256 of the content); else the git blob sha1 the Hub reports in `ETag` for a
 * small file stored in git. A file with none of these is refused.
 *
 * Failure classes: a dropped connection, a refused connection, a timeout or a 5xx are retried, then
 * reported as `ModelUnavailableError`; a 401/403/404 (the Hub answers 401 for an unknown repository to
 * anonymous callers) or a checksum mismatch is a `ModelError` at once. Nothing bad stays in the cache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import pRetry, { AbortError } from 'p-retry';
import { ModelError, ModelUnavailableError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';

/** What to download and where. */
export interface HubFileRequest {
  /** Hub endpoint without trailing slash: HF_ENDPOINT or "https://huggingface.co". */
  readonly endpoint: string;
  /** Repository, "owner/name". */
  readonly repo: string;
  readonly revision: string;
  /** Path of the file in the repository (POSIX). */
  readonly path: string;
  /** Pinned lower-case hex sha256, or null to verify against the Hub's reported hash. */
  readonly sha256: string | null;
  /** Absolute destination path. */
  readonly target: string;
}

/** Knobs of the download; the defaults suit real use, tests shorten the back-off. */
export interface HubDownloadOptions {
  readonly logger?: Logger;
  /** Bearer token (HF_TOKEN) for gated or private repositories. Never logged. */
  readonly token?: string;
  /** Retries after the first attempt for transient failures. Default 3. */
  readonly retries?: number;
  /** First back-off in ms (doubles each retry). Default 1000. */
  readonly minTimeoutMs?: number;
  /** Injected fetch (tests); defaults to the global fetch (undici). */
  readonly fetch?: typeof fetch;
}

/** The Hub has no such file (HTTP 404, or 401/403 which it answers for unknown or gated repositories). */
export class HubFileNotFoundError extends ModelError {}

/** Marks a failure worth retrying (network, 5xx, truncated body). */
class TransientError extends Error {}

/** The hash a downloaded file must have. */
interface ExpectedHash {
  readonly algorithm: 'sha256' | 'git-sha1';
  readonly hex: string;
  readonly source: 'pinned' | 'hub-lfs' | 'hub-git';
}

function fileUrl(req: HubFileRequest): string {
  const path = req.path.split('/').map(encodeURIComponent).join('/');
  return `${req.endpoint.replace(/\/+$/, '')}/${req.repo}/resolve/${encodeURIComponent(req.revision)}/${path}`;
}

/** Whether an error (or its cause chain) is a DNS failure: the host does not resolve. */
function isHostNotFound(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return true;
  }
  return false;
}

function describe(req: HubFileRequest): string {
  return `${req.repo}@${req.revision}/${req.path}`;
}

function stripEtag(value: string | null): string | null {
  if (value === null) return null;
  return value.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
}

/** Error for an HTTP status: 401/403/404 are definite, 408/429/5xx transient, anything else definite. */
function statusError(req: HubFileRequest, status: number): Error {
  if (status === 404 || status === 401 || status === 403) {
    return new AbortError(
      new HubFileNotFoundError(`${describe(req)} not found on the Hub (HTTP ${status})`, {
        hint: 'check the model id and revision (codeidx models lists known ids); a private or gated repo needs HF_TOKEN',
      }),
    );
  }
  if (status === 408 || status === 429 || status >= 500) return new TransientError(`HTTP ${status}`);
  return new AbortError(new ModelError(`${describe(req)}: unexpected HTTP ${status} from the Hub`));
}

/** Wraps a fetch/stream failure as transient unless it is one of ours. */
function asAttemptError(error: unknown): Error {
  if (error instanceof AbortError || error instanceof TransientError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new TransientError(`${message}${cause}`, { cause: error });
}

/** Reads the hash the Hub reports for a file (HEAD, redirect not followed). */
async function hubHash(req: HubFileRequest, headers: Record<string, string>, doFetch: typeof fetch): Promise<ExpectedHash> {
  const response = await doFetch(fileUrl(req), { method: 'HEAD', redirect: 'manual', headers });
  if (response.status >= 400) throw statusError(req, response.status);
  const lfs = stripEtag(response.headers.get('x-linked-etag'));
  if (lfs !== null && /^[0-9a-f]{64}$/.test(lfs)) return { algorithm: 'sha256', hex: lfs, source: 'hub-lfs' };
  const etag = stripEtag(response.headers.get('etag'));
  if (etag !== null && /^[0-9a-f]{40}$/.test(etag)) return { algorithm: 'git-sha1', hex: etag, source: 'hub-git' };
  throw new AbortError(
    new ModelError(`${describe(req)} has no pinned sha256 and the Hub reports no hash for it; refusing to use it unverified`, {
      hint: 'pin its sha256 in the model registry, or download the model yourself and pass its directory with --model',
    }),
  );
}

/** sha1 of a git blob: sha1("blob <size>\0" + content) — how git names file contents. */
function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** One attempt: GET into a temp file, verify, rename. Removes the temp file on any failure. */
async function attempt(
  req: HubFileRequest,
  expected: ExpectedHash,
  headers: Record<string, string>,
  doFetch: typeof fetch,
): Promise<void> {
  const tmp = join(dirname(req.target), `.${randomBytes(6).toString('hex')}.part`);
  let sink: WriteStream | undefined;
  try {
    const response = await doFetch(fileUrl(req), { headers, redirect: 'follow' });
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw statusError(req, response.status);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    const sha256 = createHash('sha256');
    let received = 0;
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      sha256.update(chunk);
      received += chunk.length;
    });
    sink = createWriteStream(tmp);
    await pipeline(body, sink);
    if (Number.isFinite(declared) && received !== declared) {
      throw new TransientError(`connection closed after ${received} of ${declared} bytes`);
    }
    const actual = expected.algorithm === 'sha256' ? sha256.digest('hex') : gitBlobSha1(readFileSync(tmp));
    if (actual !== expected.hex) {
      throw new AbortError(
        new ModelError(
          `checksum mismatch for ${describe(req)}: expected ${expected.algorithm} ${expected.hex} (${expected.source}), got ${actual}`,
          {
            hint:
              expected.source === 'pinned'
                ? 'the file on the Hub changed at this revision or was corrupted in transit; pin a revision (id@commit) whose files match, or report it'
                : 'the download was corrupted in transit or by a proxy; retry, or download the model yourself and pass its directory',
          },
        ),
      );
    }
    renameSync(tmp, req.target);
  } catch (error) {
    // The write stream opens and closes asynchronously: wait for it before removing the temp file.
    if (sink !== undefined && !sink.closed) await new Promise<void>((resolve) => sink?.once('close', () => resolve()));
    rmSync(tmp, { force: true });
    throw asAttemptError(error);
  }
}

/**
 * Ensures `req.target` holds the verified file, downloading it when absent. A file present in the
 * cache was verified before it was renamed into place, so it is used as is.
 * @returns the target path.
 * @throws ModelUnavailableError when the Hub cannot be reached (after retries);
 *         ModelError for an unknown file (404/401/403), a checksum mismatch or an unverifiable file.
 */
export async function downloadHubFile(req: HubFileRequest, options: HubDownloadOptions = {}): Promise<string> {
  if (existsSync(req.target) && statSync(req.target).isFile()) return req.target;
  mkdirSync(dirname(req.target), { recursive: true });
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { 'user-agent': 'codeidx' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  options.logger?.debug(`downloading ${describe(req)}`, { url: fileUrl(req) });
  try {
    await pRetry(
      async () => {
        let expected: ExpectedHash;
        try {
          expected =
            req.sha256 !== null ? { algorithm: 'sha256', hex: req.sha256.toLowerCase(), source: 'pinned' } : await hubHash(req, headers, doFetch);
        } catch (error) {
          throw asAttemptError(error);
        }
        await attempt(req, expected, headers, doFetch);
      },
      {
        retries: options.retries ?? 3,
        minTimeout: options.minTimeoutMs ?? 1000,
        factor: 2,
        // A host that does not resolve (offline, air-gapped) will not resolve a second later:
        // fail at once, so an offline run says so in one line instead of waiting on backoff.
        shouldRetry: ({ error }) => !isHostNotFound(error),
        onFailedAttempt: ({ error, retriesLeft }) => {
          if (retriesLeft > 0 && !isHostNotFound(error)) {
            options.logger?.warn(`download of ${describe(req)} failed (${error.message}); retrying`);
          }
        },
      },
    );
  } catch (error) {
    if (error instanceof ModelError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ModelUnavailableError(`cannot download ${describe(req)} from ${req.endpoint}: ${message}`, {
      cause: error,
      hint: 'check the network (or HF_ENDPOINT), or download the model yourself and pass its directory with --model',
    });
  }
  return req.target;
}
