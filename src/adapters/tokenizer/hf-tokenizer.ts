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

/**
 * Reads and parses `tokenizer.json` and, if present, `tokenizer_config.json` of `dir`, with the
 * truncation and padding of `tokenizer.json` removed (callers decide them per call).
 * @throws ModelError when tokenizer.json is missing or does not parse.
 */
function readTokenizerFiles(dir: string): { json: Record<string, unknown>; config: Record<string, unknown> } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelError(`cannot read tokenizer.json in ${dir}`, {
      cause,
      hint: 'a model directory needs tokenizer.json (Hugging Face format) beside the .onnx file',
    });
  }
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    // tokenizer_config.json is optional.
  }
  json.truncation = null;
  json.padding = null;
  return { json, config };
}

/** The WordPiece model's fields that `newTokenizerWithFastVocabulary` fills in. */
interface WordPieceInternals {
  tokens_to_ids: Map<string, number>;
  unk_token: string;
  unk_token_id: number | undefined;
  vocab: string[];
}

/**
 * `new Tokenizer(json, config)`, with a WordPiece model's vocabulary map built faster. The library
 * builds it with `new Map(Object.entries(vocab))` and then an id → token array that only decoding
 * reads; a `for…in` loop builds the same map in about a third of the time and the array is built on
 * first use. For the 30,522 entries of the static model: ≈ 17 against ≈ 48 ms for the map and
 * ≈ 20 ms for the array (fresh processes). The map ends up with the same entries: the vocabulary,
 * then the added tokens over it, as the library's constructor adds them; `unk_token_id` as the
 * library computes it. Other models are built by the library as they are.
 */
function newTokenizerWithFastVocabulary(
  json: Record<string, unknown>,
  config: Record<string, unknown>,
): TokenizerApi {
  const model = json.model as { type?: unknown; vocab?: unknown } | null | undefined;
  if (model?.type !== 'WordPiece' || typeof model.vocab !== 'object' || model.vocab === null) {
    return new Tokenizer(json, config);
  }
  const vocab = model.vocab as Record<string, number>;
  const tokenizer = new Tokenizer({ ...json, model: { ...model, vocab: {} } }, config);
  const internals = tokenizer as unknown as {
    model: WordPieceInternals;
    added_tokens: ReadonlyArray<{ readonly id: number; readonly content: string }>;
  };
  const wordPiece = internals.model;
  const ids = new Map<string, number>();
  for (const token in vocab) ids.set(token, vocab[token]);
  const vocabularySize = ids.size;
  // Vocabulary entries an added token takes over with another id keep their old id in the array.
  const shadowed: Array<[number, string]> = [];
  for (const { content, id } of internals.added_tokens) {
    const old = ids.get(content);
    if (old !== undefined && old !== id) shadowed.push([old, content]);
  }
  // The constructor has put the added tokens into the (empty) map: they go over the vocabulary.
  for (const [token, id] of wordPiece.tokens_to_ids) ids.set(token, id);
  wordPiece.tokens_to_ids = ids;
  wordPiece.unk_token_id = ids.get(wordPiece.unk_token);
  // id → token as the library builds it: the vocabulary's entries, then each added token.
  let byId: string[] | null = null;
  Object.defineProperty(wordPiece, 'vocab', {
    configurable: true,
    enumerable: true,
    get: (): string[] => {
      if (byId === null) {
        byId = new Array<string>(vocabularySize);
        for (const [token, id] of ids) byId[id] = token;
        for (const [id, token] of shadowed) byId[id] = token;
        for (const { content, id } of internals.added_tokens) byId[id] = content;
      }
      return byId;
    },
  });
  return tokenizer;
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
    const { json, config } = readTokenizerFiles(dir);
    const tokenizer = newTokenizerWithFastVocabulary(json, config);
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
