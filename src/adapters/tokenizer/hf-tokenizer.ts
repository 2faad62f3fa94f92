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
import { installFastPaths } from './fast-paths.js';

export { bertCleanText } from './fast-paths.js';

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
    installFastPaths(tokenizer);
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
