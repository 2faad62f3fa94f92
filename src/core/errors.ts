/**
 * Typed errors. Every message says what went wrong and how to fix it.
 *
 * Failure policy (see ARCHITECTURE.md):
 * - `ConfigError`, `ModelError`, `EmbeddingError`, `VectorStoreError`, `StoreCorruptError`: fatal,
 *   the run halts and the previous index state stays in force.
 * - `ChunkError`: per file; the file is counted as skipped (`chunk-error`) and the run goes on.
 *
 * @module core/errors
 */

/** Base class: `hint` is the one-line fix shown to the user. */
export class CodeidxError extends Error {
  /** A short, actionable suggestion ("pass --model …", "run codeidx index --full"). */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Invalid configuration or input (flag, environment variable, action input). */
export class ConfigError extends CodeidxError {}

/** A model could not be resolved, downloaded or verified (unknown id, checksum mismatch, offline). */
export class ModelError extends CodeidxError {}

/**
 * The model cannot be had right now: not in the cache and the Hub is unreachable (offline, DNS,
 * refused or dropped connection, 5xx after retries). Callers may degrade (the CLI builds a
 * lexical-only index). Distinct from a plain `ModelError` (unknown id, checksum mismatch, 404),
 * which is a mistake to fix, never a reason to degrade.
 */
export class ModelUnavailableError extends ModelError {}

/** The embedder failed on a batch. Fatal: a run never writes a silent partial index. */
export class EmbeddingError extends CodeidxError {}

/** A store request failed (unreachable, rejected, dimension mismatch). Wraps the client error as `cause`. */
export class VectorStoreError extends CodeidxError {}

/** A store file is unreadable or not a codeidx store. Nothing is overwritten. */
export class StoreCorruptError extends VectorStoreError {}

/** A single file could not be chunked. Counted and skipped, never fatal. */
/**
 * A file larger than the size limit, refused before it is read (`SourceReader.readFile`); the
 * pipeline counts it as a 'too-large' skip.
 */
export class FileTooLargeError extends CodeidxError {
  constructor(
    readonly path: string,
    /** Size of the file, bytes. */
    readonly size: number,
    /** The limit, bytes. */
    readonly maxBytes: number,
  ) {
    super(`${path} is ${size} bytes, above the limit of ${maxBytes} bytes; not read`, {
      hint: 'raise the maximum file size (CLI --max-file-size, action input max-file-size) to index it',
    });
  }
}

export class ChunkError extends CodeidxError {
  readonly path: string;

  constructor(path: string, message: string, options: { cause?: unknown } = {}) {
    super(`${path}: ${message}`, options);
    this.path = path;
  }
}

/** Formats any thrown value for a one-line log: message plus hint, no stack. */
export function describeError(error: unknown): string {
  if (error instanceof CodeidxError) {
    return error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
