/**
 * @module adapters/sqlite — helpers shared by the SQLite store and cache: recognising a
 * corrupt or foreign database file from better-sqlite3's error codes.
 */

/** SQLite result codes (https://www.sqlite.org/rescode.html) that mean "this file is not a sound database". */
const CORRUPTION_CODES: ReadonlySet<string> = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/** The `code` of a better-sqlite3 `SqliteError` ("SQLITE_CORRUPT_VTAB", …), or undefined. */
export function sqliteErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when `error` says the database file is damaged or not a database at all:
 * SQLITE_NOTADB, SQLITE_CORRUPT and its extended codes (SQLITE_CORRUPT_VTAB, SQLITE_CORRUPT_INDEX, …).
 */
export function isCorruptionError(error: unknown): boolean {
  const code = sqliteErrorCode(error);
  if (code === undefined) return false;
  for (const base of CORRUPTION_CODES) if (code === base || code.startsWith(`${base}_`)) return true;
  return false;
}
