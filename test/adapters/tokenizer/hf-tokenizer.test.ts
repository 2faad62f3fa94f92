import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tokenizers from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { bertCleanText, HfTokenizer } from '../../../src/adapters/tokenizer/hf-tokenizer.js';

const TOKENIZER_DIR = join(import.meta.dirname, '../../../models/codeidx-static');

interface BertNormalizerLike {
  clean_text: (this: void, text: string) => string;
}

interface LibraryTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  normalizer: unknown;
}

/** The BertNormalizer of a tokenizer (the static model's sits at the end of a Sequence). */
function bertNormalizer(tokenizer: LibraryTokenizer): BertNormalizerLike {
  const found: BertNormalizerLike[] = [];
  const visit = (node: unknown): void => {
    const n = node as { config?: { type?: string }; normalizers?: unknown[] } | null;
    if (n?.config?.type === 'BertNormalizer') found.push(n as unknown as BertNormalizerLike);
    for (const child of n?.normalizers ?? []) visit(child);
  };
  visit(tokenizer.normalizer);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The library's own tokenizer for the same files, without codeidx's `clean_text`. */
function libraryTokenizer(): LibraryTokenizer {
  const json = JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const config = JSON.parse(readFileSync(join(TOKENIZER_DIR, 'tokenizer_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  json.truncation = null;
  json.padding = null;
  const Tokenizer = (tokenizers as unknown as { Tokenizer: new (j: object, c: object) => LibraryTokenizer })
    .Tokenizer;
  return new Tokenizer(json, config);
}

/** Deterministic random text mixing every kind of code point the normalizer treats specially. */
function randomText(seed: number, length: number): string {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const pools: Array<() => string> = [
    () => String.fromCharCode(0x20 + next(0x5f)), // ASCII printable
    () =>
      [
        '\t',
        '\n',
        '\r',
        '\v',
        '\f',
        ' ',
        '\u0000',
        '\u0085',
        '\u00a0',
        '\u2028',
        '\u3000',
        '\ufeff',
        '\u180e',
        '\ufffd',
      ][next(14)],
    () => String.fromCharCode(next(0x20)), // C0 controls
    () => String.fromCharCode(0x7f + next(0x21)), // DEL and C1 controls
    () => String.fromCharCode(0x200b + next(0x10)), // zero-width and direction marks (Cf)
    () => String.fromCharCode(0xe000 + next(0x1900)), // private use (Co)
    () => String.fromCharCode(0xd800 + next(0x800)), // lone surrogates (Cs)
    () => String.fromCodePoint(0x10000 + next(0x100000 - 0x10000)), // astral, including planes 15-16 (Co) and tags (Cf)
    () => String.fromCharCode(0x4e00 + next(0x5200)), // CJK
    () => String.fromCharCode(0xc0 + next(0x1c0)), // accented Latin
  ];
  let out = '';
  for (let i = 0; i < length; i++) out += pools[next(pools.length)]();
  return out;
}

describe('HfTokenizer', () => {
  it("bertCleanText gives exactly the library's BertNormalizer.clean_text, over all of Unicode", () => {
    const library = { normalizer: bertNormalizer(libraryTokenizer()) };
    for (let seed = 1; seed <= 300; seed++) {
      const text = randomText(seed, 1 + (seed % 200));
      expect(bertCleanText(text)).toBe(library.normalizer.clean_text(text));
    }
    // Every BMP code point and a spread of astral ones, one by one.
    for (let cp = 0; cp < 0x110000; cp += cp < 0x10000 ? 1 : 97) {
      const ch = String.fromCodePoint(cp);
      expect(bertCleanText(`a${ch}b`)).toBe(library.normalizer.clean_text(`a${ch}b`));
    }
  });

  it('uses bertCleanText and encodes exactly as the library does', () => {
    const library = libraryTokenizer();
    const ours = HfTokenizer.fromDirectory(TOKENIZER_DIR);
    const inner = (ours as unknown as { tokenizer: LibraryTokenizer }).tokenizer;
    expect(bertNormalizer(inner).clean_text).toBe(bertCleanText);
    expect(bertNormalizer(library).clean_text).not.toBe(bertCleanText);
    const code =
      'func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {\n\t// Ünïcödé 日本語 \u200b\u0007\n}\n';
    for (const text of [code, ...Array.from({ length: 100 }, (_, i) => randomText(1000 + i, 150))]) {
      const expected = library.encode(text).ids;
      expect(ours.encode(text, 100_000).ids).toEqual(expected);
      expect(ours.count(text)).toBe(library.encode(text, { add_special_tokens: false }).ids.length);
    }
  });
});
