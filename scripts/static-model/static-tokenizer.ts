/**
 * Builds the tokenizer of `codeidx-static`: the bert-base-uncased WordPiece tokenizer with extra
 * normalizer steps that split identifiers the way `lexicalTokens` (src/core/lexical-tokens.ts) does
 * before WordPiece runs: camelCase / PascalCase / acronym / digit boundaries become spaces,
 * punctuation (including `_` and `-`) is dropped, single letters are dropped. Then BERT's own
 * normalizer lowercases. `parseHTTPResponse2` → "parse http response 2"; `get_user_name` → "get user name".
 *
 * The steps are plain `Replace` normalizers of the Hugging Face `tokenizer.json` format, so the
 * runtime (`HfTokenizer`, `@huggingface/tokenizers`) applies them with no codeidx-specific code.
 */
import { readFileSync } from 'node:fs';

/** Regex replacements applied in order, before BERT's normalizer. */
export const IDENTIFIER_SPLIT_STEPS: ReadonlyArray<readonly [string, string]> = [
  // lower→Upper: getUser → get User
  ['(?<=\\p{Ll})(?=\\p{Lu})', ' '],
  // acronym→Word: HTTPResponse → HTTP Response
  ['(?<=\\p{Lu})(?=\\p{Lu}\\p{Ll})', ' '],
  // letter↔digit: utf8 → utf 8, 2fa → 2 fa
  ['(?<=\\p{L})(?=\\p{N})|(?<=\\p{N})(?=\\p{L})', ' '],
  // punctuation, symbols and underscores → space
  ['[^\\p{L}\\p{N}\\s]+|_+', ' '],
  // single letters (a, x, i) carry no meaning (lexicalTokens drops them too)
  ['(?<![\\p{L}\\p{N}])\\p{L}(?![\\p{L}\\p{N}])', ' '],
];

/** Returns the codeidx-static tokenizer.json object built from a BERT uncased tokenizer.json. */
export function staticTokenizerJson(bertTokenizerJsonPath: string): Record<string, unknown> {
  const t = JSON.parse(readFileSync(bertTokenizerJsonPath, 'utf8')) as Record<string, unknown>;
  const bert = t.normalizer as Record<string, unknown>;
  if (bert.type !== 'BertNormalizer' || bert.lowercase !== true) {
    throw new Error(`${bertTokenizerJsonPath}: expected an uncased BertNormalizer, got ${JSON.stringify(bert)}`);
  }
  t.normalizer = {
    type: 'Sequence',
    normalizers: [
      ...IDENTIFIER_SPLIT_STEPS.map(([regex, content]) => ({ type: 'Replace', pattern: { Regex: regex }, content })),
      bert,
    ],
  };
  t.truncation = null;
  t.padding = null;
  return t;
}
