/**
 * @module adapters/tokenizer/fast-paths — faster equivalents of the hot methods of
 * `@huggingface/tokenizers` (v0.2.0), installed as instance properties of one loaded tokenizer
 * (the library itself is not patched).
 *
 * Why: every chunk's text is tokenized once to be embedded (in the embedding worker) and the
 * chunker counts tokens of some candidate chunks (on the main thread); with the built-in static
 * model, tokenization *is* the cost of embedding. On 2,570 chunk texts of Go code (1.8 MB, the
 * action benchmark's renamed files, codeidx-static's tokenizer) `encode` took ≈ 500 ms, of which
 * WordPiece (`chars.slice(start, end).join("")` for every candidate length of every word, from the
 * word's full length down), the added-token splitter (a one-character string and an object lookup
 * per character of the text) and `tokenize_chinese_chars` (an array of one-character strings per
 * text) were ≈ 250 ms (`node --cpu-prof`); with these paths the same texts take ≈ 365 ms, same tokens.
 *
 * Each replacement returns exactly what the library's method returns for every input; where an
 * input takes a path the replacement does not speed up (astral characters in a WordPiece word), it
 * calls the library's own method. Equality is tested against a pristine library tokenizer on
 * random text over all of Unicode, on code, and on whole encodings of every bundled tokenizer.
 */

/**
 * Characters `BertNormalizer.clean_text` drops: U+0000, U+FFFD, and every code point of the
 * categories Cc, Cf, Co and Cs except tab, newline and carriage return.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CLEAN_TEXT_REMOVED = /\u0000|\uFFFD|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;

/**
 * The result of `BertNormalizer.clean_text`: the characters of `CLEAN_TEXT_REMOVED` dropped, then
 * every whitespace character (`\s`) replaced by a space. The library builds a `RegExp` and tests it
 * for every character of every text; this does the same in two passes of precompiled expressions.
 * In the embedding worker of an action push (2,100 texts), `clean_text` and `is_control` took
 * ≈ 170 of ≈ 500 ms of tokenization (`node --cpu-prof`).
 */
export function bertCleanText(text: string): string {
  return text.replace(CLEAN_TEXT_REMOVED, '').replace(/\s/g, ' ');
}

/**
 * UTF-16 code units `BertNormalizer.tokenize_chinese_chars` surrounds with spaces. The library tests
 * `charCodeAt(0)` of each code unit against the CJK ranges of BERT's `_is_chinese_char`
 * (google-research/bert, tokenization.py); only the three ranges below U+10000 can match a code unit
 * (an astral CJK character is a surrogate pair, never matched).
 */
const CHINESE_CODE_UNIT = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]/g;

/** The result of `BertNormalizer.tokenize_chinese_chars`: each CJK code unit as " x ". */
export function bertTokenizeChineseChars(text: string): string {
  return text.replace(CHINESE_CODE_UNIT, ' $& ');
}

/** A surrogate code unit: a word holding one is left to the library's WordPiece (code points). */
const SURROGATE = /[\uD800-\uDFFF]/;

/** The part of the library's `WordPieceTokenizer` that `fastWordPieceEncode` reads. */
export interface WordPieceModel {
  readonly tokens_to_ids: ReadonlyMap<string, number>;
  readonly unk_token: string;
  readonly max_input_chars_per_word: number;
  readonly config: { readonly continuing_subword_prefix?: unknown };
  encode(tokens: readonly string[]): string[];
}

/**
 * A replacement for `WordPieceTokenizer.encode` (greedy longest-match-first, Wu et al. 2016,
 * arXiv:1609.08144 §4.1, as in BERT) with the library's exact output:
 * - a word longer than `max_input_chars_per_word` code points is `unk_token`;
 * - otherwise the longest vocabulary entry that prefixes the rest of the word is taken (with the
 *   continuing-subword prefix after the first piece); a word with a rest no entry prefixes is one
 *   `unk_token`.
 * The library tries every length from the word's full length down, joining an array of characters
 * each time; this slices the word (one code unit per character when it holds no surrogate) and
 * starts at the longest vocabulary entry's length, since no longer piece can be in the vocabulary.
 * Words holding a surrogate go to the library's own `encode`.
 *
 * @param original the library's `encode`, bound to `model`.
 */
export function fastWordPieceEncode(
  model: WordPieceModel,
  original: (tokens: readonly string[]) => string[],
): (tokens: readonly string[]) => string[] {
  const vocab = model.tokens_to_ids;
  // Read when installed: the tokenizer has added its added tokens to `tokens_to_ids` by then.
  let longest = 0;
  for (const key of vocab.keys()) if (key.length > longest) longest = key.length;
  const prefix = String(model.config.continuing_subword_prefix);
  return (tokens) => {
    const out: string[] = [];
    const maxChars = model.max_input_chars_per_word;
    for (const token of tokens) {
      if (SURROGATE.test(token)) {
        for (const piece of original([token])) out.push(piece);
        continue;
      }
      if (token.length > maxChars) {
        out.push(model.unk_token);
        continue;
      }
      const first = out.length;
      let start = 0;
      while (start < token.length) {
        let end = Math.min(token.length, start + longest);
        let piece: string | null = null;
        while (start < end) {
          const candidate = start > 0 ? prefix + token.slice(start, end) : token.slice(start, end);
          if (vocab.has(candidate)) {
            piece = candidate;
            break;
          }
          --end;
        }
        if (piece === null) {
          out.length = first;
          out.push(model.unk_token);
          break;
        }
        out.push(piece);
        start = end;
      }
    }
    return out;
  };
}

/** The trie of the library's `DictionarySplitter`: one node per UTF-16 code unit, `end` at a word's end. */
interface TrieNode {
  readonly [unit: string]: TrieNode | string | undefined;
}

/**
 * A replacement for `DictionarySplitter.split` (cuts a text around the added tokens it contains,
 * leftmost-longest) with the library's exact output. The library walks its trie from every
 * position of the text; a word can only start at a code unit that starts a dictionary word, so this
 * jumps from one such code unit to the next with a precompiled pattern and walks the same trie from
 * there. A text with none of them comes back whole (or as no section when empty), as in the library.
 *
 * @param trie the splitter's own trie (`splitter.trie`).
 */
export function fastDictionarySplit(trie: TrieNode): (text: string) => string[] {
  // Root keys are code units, plus `end` when the dictionary holds an empty word (never matched).
  const firsts = Object.keys(trie).filter((key) => key.length === 1);
  if (firsts.length === 0) return (text) => (text.length > 0 ? [text] : []);
  const units = firsts.map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  const starts = new RegExp(`[${units}]`, 'g');
  return (text) => {
    const result: string[] = [];
    const n = text.length;
    let start = 0;
    let i = 0;
    while (i < n) {
      starts.lastIndex = i;
      const next = starts.exec(text);
      if (next === null) break;
      i = next.index;
      let node: TrieNode | undefined = trie;
      let match: string | null = null;
      for (let j = i; j < n; j++) {
        node = node[text[j]] as TrieNode | undefined;
        if (node === undefined) break;
        // Truthy, as in the library: an empty dictionary word never matches.
        const end = node.end;
        if (typeof end === 'string' && end.length > 0) match = end;
      }
      if (match !== null) {
        if (i > start) result.push(text.slice(start, i));
        result.push(match);
        i += match.length;
        start = i;
      } else {
        ++i;
      }
    }
    if (start < n) result.push(text.slice(start));
    return result;
  };
}

/** Which fast paths `installFastPaths` installed (for tests and logs). */
export interface InstalledFastPaths {
  cleanText: number;
  chineseChars: number;
  wordPiece: boolean;
  splitters: number;
}

/** Duck-typed view of the library's `Tokenizer` internals that the fast paths replace. */
interface TokenizerInternals {
  normalizer?: unknown;
  model?: unknown;
  splitter_unnormalized?: unknown;
  splitter_normalized?: unknown;
}

/**
 * Installs the fast paths on one `@huggingface/tokenizers` `Tokenizer` (v0.2.0 internals, checked
 * by shape: a part whose shape differs is left as it is, so a library update cannot break
 * tokenization, only lose speed — and the equality tests would fail first):
 * - every `BertNormalizer` of its normalizer tree: `clean_text` → `bertCleanText`,
 *   `tokenize_chinese_chars` → `bertTokenizeChineseChars`;
 * - a WordPiece model (`config.type === 'WordPiece'`): `encode` → `fastWordPieceEncode`;
 * - both added-token splitters: `split` → `fastDictionarySplit`.
 */
export function installFastPaths(tokenizer: object): InstalledFastPaths {
  const internals = tokenizer as TokenizerInternals;
  const installed: InstalledFastPaths = { cleanText: 0, chineseChars: 0, wordPiece: false, splitters: 0 };
  const visit = (normalizer: unknown): void => {
    // The library's normalizers are callable objects (functions), or null.
    if ((typeof normalizer !== 'object' && typeof normalizer !== 'function') || normalizer === null) return;
    const node = normalizer as {
      config?: { type?: unknown };
      clean_text?: unknown;
      tokenize_chinese_chars?: unknown;
      normalizers?: unknown;
    };
    if (node.config?.type === 'BertNormalizer') {
      if (typeof node.clean_text === 'function') {
        node.clean_text = bertCleanText;
        installed.cleanText++;
      }
      if (typeof node.tokenize_chinese_chars === 'function') {
        node.tokenize_chinese_chars = bertTokenizeChineseChars;
        installed.chineseChars++;
      }
    }
    if (Array.isArray(node.normalizers)) for (const child of node.normalizers) visit(child);
  };
  visit(internals.normalizer);

  const model = internals.model as (Partial<WordPieceModel> & { config?: { type?: unknown } }) | undefined;
  if (
    model?.config?.type === 'WordPiece' &&
    model.tokens_to_ids instanceof Map &&
    typeof model.unk_token === 'string' &&
    typeof model.max_input_chars_per_word === 'number' &&
    typeof model.encode === 'function'
  ) {
    const wordPiece = model as WordPieceModel;
    const original = wordPiece.encode.bind(wordPiece);
    (wordPiece as { encode: WordPieceModel['encode'] }).encode = fastWordPieceEncode(wordPiece, original);
    installed.wordPiece = true;
  }

  for (const splitter of [internals.splitter_unnormalized, internals.splitter_normalized]) {
    const s = splitter as { trie?: unknown; split?: unknown } | undefined;
    if (s && typeof s.split === 'function' && typeof s.trie === 'object' && s.trie !== null) {
      s.split = fastDictionarySplit(s.trie as TrieNode);
      installed.splitters++;
    }
  }
  return installed;
}
