/**
 * @module adapters/tokenizer — Hugging Face `tokenizer.json` tokenizers (WordPiece, BPE, Unigram)
 * through `@huggingface/tokenizers`, the pure-JS implementation maintained by Hugging Face.
 * Serves both the chunker's token budget and the embedder's inputs, so both count the same tokens.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tokenizers from '@huggingface/tokenizers';
import { ModelError } from '../../core/errors.js';
import type { TokenCounter } from '../../core/ports.js';

/**
 * The part of `@huggingface/tokenizers`' `Tokenizer` used here. Typed locally because the package's
 * .d.ts files use extensionless relative imports that NodeNext resolution cannot follow, which
 * leaves the class untyped.
 */
interface TokenizerApi {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  tokenize(text: string): string[];
}

const Tokenizer = (tokenizers as unknown as { Tokenizer: new (json: object, config: object) => TokenizerApi })
  .Tokenizer;

/**
 * Characters `BertNormalizer.clean_text` drops: U+0000, U+FFFD, and every code point of the
 * categories Cc, Cf, Co and Cs except tab, newline and carriage return.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CLEAN_TEXT_REMOVED = /\u0000|\uFFFD|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;

/**
 * The result of `@huggingface/tokenizers`' `BertNormalizer.clean_text` (v0.2.0): the characters of
 * `CLEAN_TEXT_REMOVED` dropped, then every whitespace character (`\s`) replaced by a space.
 * The library builds a `RegExp` and tests it for every character of every text; this does the same
 * in two passes of precompiled expressions. In the embedding worker of an action push (2,100
 * texts), `clean_text` and `is_control` took ≈ 170 of ≈ 500 ms of tokenization (`node --cpu-prof`).
 * Equality with the library's version is tested on random text over all of Unicode.
 */
export function bertCleanText(text: string): string {
  return text.replace(CLEAN_TEXT_REMOVED, '').replace(/\s/g, ' ');
}

/**
 * Gives every `BertNormalizer` in a tokenizer's normalizer tree (a single one, or a `Sequence`)
 * `bertCleanText` as its own `clean_text` (an instance property; the library is not patched).
 */
function useFastCleanText(normalizer: unknown): void {
  // The library's normalizers are callable objects (functions), or null.
  if ((typeof normalizer !== 'object' && typeof normalizer !== 'function') || normalizer === null) return;
  const node = normalizer as {
    config?: { type?: unknown };
    clean_text?: unknown;
    normalizers?: unknown;
  };
  if (node.config?.type === 'BertNormalizer' && typeof node.clean_text === 'function') {
    node.clean_text = bertCleanText;
  }
  if (Array.isArray(node.normalizers)) for (const child of node.normalizers) useFastCleanText(child);
}

/** Token ids of one text, with special tokens, truncated to the requested length. */
export interface Encoding {
  readonly ids: number[];
  readonly attentionMask: number[];
}

/** A loaded `tokenizer.json` (+ `tokenizer_config.json`). */
export class HfTokenizer implements TokenCounter {
  private readonly tokenizer: TokenizerApi;

  private constructor(tokenizer: TokenizerApi) {
    this.tokenizer = tokenizer;
  }

  /**
   * Loads `tokenizer.json` and, if present, `tokenizer_config.json` from `dir`.
   * The truncation baked into `tokenizer.json` is ignored: callers pass their own `maxTokens`.
   * @throws ModelError when the files are missing or do not parse.
   */
  static fromDirectory(dir: string): HfTokenizer {
    let tokenizerJson: Record<string, unknown>;
    try {
      tokenizerJson = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch (cause) {
      throw new ModelError(`cannot read tokenizer.json in ${dir}`, {
        cause,
        hint: 'a model directory needs tokenizer.json (Hugging Face format) beside the .onnx file',
      });
    }
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch {
      // tokenizer_config.json is optional.
    }
    // Truncation and padding are ours to decide per call.
    tokenizerJson.truncation = null;
    tokenizerJson.padding = null;
    const tokenizer = new Tokenizer(tokenizerJson, config);
    useFastCleanText((tokenizer as unknown as { normalizer?: unknown }).normalizer);
    return new HfTokenizer(tokenizer);
  }

  /** Encodes `text` with special tokens ([CLS] … [SEP]), truncated to `maxTokens` (keeping the final [SEP]). */
  encode(text: string, maxTokens: number): Encoding {
    const encoded = this.tokenizer.encode(text);
    let ids = encoded.ids;
    if (ids.length > maxTokens) {
      const last = ids[ids.length - 1];
      ids = [...ids.slice(0, maxTokens - 1), last];
    }
    return { ids, attentionMask: new Array<number>(ids.length).fill(1) };
  }

  /** Number of tokens of `text` without special tokens. */
  count(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids.length;
  }

  /** Token strings of `text` without special tokens (e.g. ["get", "##user"]). */
  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text);
  }
}
