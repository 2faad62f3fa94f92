/**
 * @module adapters/sqlite/memo-lexical-tokens — `lexicalTokens` with a per-word cache, for bulk writes.
 *
 * `lexicalTokens(text)` is the concatenation, over the words of `text` (maximal runs of letters,
 * digits and `_`), of the tokens of each word alone; splitting a word (camelCase, snake_case, digit
 * runs, via Unicode property regexes) is what costs. Code repeats its identifiers, so caching the
 * split per word makes indexing tokenization ≈ 9× faster (measured on this repository's sources:
 * 1.34 k chunks of 1.5 kB, 1,459 ms → 167 ms; 4.5 k distinct words). The per-word split is still done
 * by core's `lexicalTokens`, so the output is identical (checked by a differential test).
 *
 * The cache is a plain Map emptied when full rather than an LRU: on text whose words are mostly new
 * (bench/store-write.ts's synthetic identifiers), `lru-cache`'s bookkeeping on every miss cost more
 * than it saved (measured ≈ 1.7× slower than no cache there), while a Map costs little on a miss.
 */
import { lexicalTokens } from '../../core/lexical-tokens.js';

/**
 * A word as `lexicalTokens` sees it (same pattern as core/lexical-tokens.ts `WORD`; the differential
 * test in test/adapters/sqlite/memo-lexical-tokens.test.ts fails if they diverge).
 */
const WORD = /[\p{L}\p{N}_]+/gu;

/**
 * `WORD` for text without any non-ASCII character, where \p{L} and \p{N} are exactly [A-Za-z] and
 * [0-9]: an ASCII class is cheaper than Unicode property classes. With `String.prototype.match`
 * (all matches as strings) instead of `matchAll` (a match object each), `joined` on the chunks of a
 * 100-file push (2,200 chunks × symbol, path, code) took 70–76 ms instead of 87–101 ms, cold, each
 * in a fresh process.
 */
const ASCII_WORD = /[A-Za-z0-9_]+/g;
const NON_ASCII = /[\u0080-\uffff]/;

/** The words of `text` (see `WORD`), in order. */
function wordsOf(text: string): RegExpMatchArray | null {
  return text.match(NON_ASCII.test(text) ? WORD : ASCII_WORD);
}

/**
 * `word` as a string of its own. A match of 13 or more characters is a V8 "sliced string": a view
 * into the text it was found in, which keeps that whole text alive. Kept as a cache key, one
 * identifier would retain its chunk's code (often kilobytes) for as long as the cache lives; the
 * concatenation is flattened into a new short string before `slice` takes the view.
 */
function ownCopy(word: string): string {
  return ` ${word}`.slice(1);
}

/** Distinct words kept (≈ 100 bytes each, so a few MB at most). */
const DEFAULT_MAX_WORDS = 50_000;

/** `lexicalTokens` with a bounded cache of per-word results. Not shared between threads. */
export class MemoLexicalTokens {
  private cache = new Map<string, readonly string[]>();
  /** word → its tokens joined by spaces ("" for none), for `joined`. */
  private joinedCache = new Map<string, string>();
  private readonly maxWords: number;

  /** @param maxWords distinct words cached before the cache is emptied and refilled; default 50,000. */
  constructor(maxWords = DEFAULT_MAX_WORDS) {
    this.maxWords = maxWords;
  }

  /** Same result as `lexicalTokens(text)`. */
  tokens(text: string): string[] {
    const out: string[] = [];
    for (const word of wordsOf(text) ?? []) {
      let parts = this.cache.get(word);
      if (parts === undefined) {
        const own = ownCopy(word);
        parts = lexicalTokens(own); // its tokens are cut from `own`, not from `text`
        if (this.cache.size >= this.maxWords) this.cache = new Map();
        this.cache.set(own, parts);
      }
      for (const part of parts) out.push(part);
    }
    return out;
  }

  /** `tokens(text)` joined by single spaces (the text given to FTS5); one string per word, not per token. */
  joined(text: string): string {
    const out: string[] = [];
    for (const word of wordsOf(text) ?? []) {
      let joined = this.joinedCache.get(word);
      if (joined === undefined) {
        const own = ownCopy(word);
        joined = lexicalTokens(own).join(' '); // a one-token join may return that token itself
        if (this.joinedCache.size >= this.maxWords) this.joinedCache = new Map();
        this.joinedCache.set(own, joined);
      }
      if (joined.length > 0) out.push(joined);
    }
    return out.join(' ');
  }
}
