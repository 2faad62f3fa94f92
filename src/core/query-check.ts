/**
 * Checks a search query before it is run, so that a query that cannot mean anything gets a clear
 * message instead of arbitrary results (a model maps a text with no known token to a zero vector,
 * whose cosine with every chunk is 0).
 *
 * @module core/query-check
 */

/** Longest query accepted, in characters (the same limit as `SearchService`). */
export const MAX_QUERY_CHARS = 2_000;

/**
 * The problem with `text` as a query, or null when it can be searched:
 * empty (or only whitespace), longer than `maxChars`, or with no letter or digit in any script
 * (punctuation only). Non-Latin text is a valid query.
 */
export function queryProblem(text: string, maxChars: number = MAX_QUERY_CHARS): string | null {
  const query = text.trim();
  if (query.length === 0) return 'the query is empty';
  if (query.length > maxChars) return `the query is ${query.length} characters long; the limit is ${maxChars}`;
  if (!/[\p{L}\p{N}]/u.test(query)) return 'the query has no letters or digits to search for (only punctuation or symbols)';
  return null;
}
