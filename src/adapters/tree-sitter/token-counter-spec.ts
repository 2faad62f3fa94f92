/**
 * @module adapters/tree-sitter/token-counter-spec — a serializable description of a `TokenCounter`,
 * so that worker threads (which cannot receive functions) build exactly the counter the main
 * thread uses.
 */
import { ConfigError } from '../../core/errors.js';
import type { TokenCounter } from '../../core/ports.js';
import { estimateTokens } from '../../core/token-budget.js';
import { HfTokenizer } from '../tokenizer/hf-tokenizer.js';

/**
 * How to build a token counter:
 * - `{ kind: 'tokenizer', dir }`: `HfTokenizer.fromDirectory(dir)` (the embedding model's
 *   `tokenizer.json`; `dir` is an absolute directory path);
 * - `{ kind: 'estimate' }`: core `estimateTokens` (lexical-only indexes, no model).
 */
export type TokenCounterSpec =
  { readonly kind: 'tokenizer'; readonly dir: string } | { readonly kind: 'estimate' };

/** `estimateTokens` as a `TokenCounter`. */
export const ESTIMATE_TOKEN_COUNTER: TokenCounter = { count: (text) => estimateTokens(text) };

/**
 * Builds the counter a spec describes.
 * @throws ConfigError for a malformed spec; ModelError (from `HfTokenizer`) when the tokenizer
 *   files are missing or do not parse.
 */
export function tokenCounterFromSpec(spec: TokenCounterSpec): TokenCounter {
  switch (spec.kind) {
    case 'estimate':
      return ESTIMATE_TOKEN_COUNTER;
    case 'tokenizer':
      if (typeof spec.dir !== 'string' || spec.dir === '') {
        throw new ConfigError('token counter spec { kind: "tokenizer" } needs a directory', {
          hint: 'pass { kind: "tokenizer", dir: "/path/to/model" } (the folder holding tokenizer.json)',
        });
      }
      return HfTokenizer.fromDirectory(spec.dir);
    default:
      throw new ConfigError(`unknown token counter spec ${JSON.stringify(spec)}`, {
        hint: 'use { kind: "tokenizer", dir } or { kind: "estimate" }',
      });
  }
}
