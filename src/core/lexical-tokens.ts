/**
 * Code-aware lexical tokens for BM25 (DESIGN.md, "Search"): identifiers are split on
 * camelCase, PascalCase, snake_case, kebab-case and digit boundaries, and the whole
 * identifier is kept too, so `getUserName` matches "get user name" and "getusername".
 *
 * @module core/lexical-tokens
 */

/** Longest token kept, in characters; longer runs (hashes, base64) are dropped. */
export const MAX_TOKEN_LENGTH = 64;

const WORD = /[\p{L}\p{N}_]+/gu;
/** Splits camelCase / PascalCase / acronyms / digit runs: "parseHTTPResponse2" → parse HTTP Response 2. */
const PART = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+|[\p{L}]+/gu;

/**
 * Lowercase lexical tokens of `text`, in order, with repeats (term frequency matters to BM25).
 * For each identifier: the whole identifier (lowercased, underscores kept) if it has parts, then
 * each part. Single-character parts are dropped except digits inside identifiers are kept.
 */
export function lexicalTokens(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    if (word.length > MAX_TOKEN_LENGTH) continue;
    const pieces: string[] = [];
    for (const segment of word.split('_')) {
      if (!segment) continue;
      for (const part of segment.matchAll(PART)) pieces.push(part[0].toLowerCase());
    }
    const whole = word.toLowerCase().replace(/^_+|_+$/g, '');
    if (pieces.length > 1 && whole.length > 1) out.push(whole);
    for (const piece of pieces) if (piece.length > 1 || /\p{N}/u.test(piece)) out.push(piece);
    if (pieces.length === 0 && whole.length > 1) out.push(whole);
  }
  return out;
}

/** Distinct lexical tokens of a query, in first-seen order, at most `limit` of them. */
export function queryTokens(text: string, limit = 64): string[] {
  return [...new Set(lexicalTokens(text))].slice(0, limit);
}
