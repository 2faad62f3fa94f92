import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tokenizers from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import {
  bertTokenizeChineseChars,
  fastDictionarySplit,
  fastWordPieceEncode,
  installFastPaths,
  type WordPieceModel,
} from '../../../src/adapters/tokenizer/fast-paths.js';
import { bertCleanText, HfTokenCounter, HfTokenizer } from '../../../src/adapters/tokenizer/hf-tokenizer.js';

const TOKENIZER_DIR = join(import.meta.dirname, '../../../models/codeidx-static');

interface BertNormalizerLike {
  clean_text: (this: void, text: string) => string;
}

interface LibraryTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  normalizer: unknown;
  model: WordPieceModel;
  splitter_unnormalized: { trie: object; split(text: string): string[] };
}

/** Every tokenizer codeidx ships or tests with (all WordPiece; the static model's has a Sequence normalizer). */
const TOKENIZER_DIRS = [
  TOKENIZER_DIR,
  join(import.meta.dirname, '../../../models/synthetic-minilm'),
  join(import.meta.dirname, '../../../../shared/models/bert-base-uncased-tokenizer'),
];

/** Source code to tokenize: this repository's own TypeScript (identifiers, punctuation, comments). */
function codeSamples(): string[] {
  const root = join(import.meta.dirname, '../../../src');
  return ['core/index-pipeline.ts', 'adapters/tokenizer/fast-paths.ts', 'core/token-budget.ts'].flatMap(
    (file) => {
      const lines = readFileSync(join(root, file), 'utf8').split('\n');
      const out: string[] = [];
      for (let i = 0; i < lines.length; i += 20) out.push(lines.slice(i, i + 20).join('\n'));
      return out;
    },
  );
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

/** The library's own tokenizer for the same files, without codeidx's fast paths. */
function libraryTokenizer(dir = TOKENIZER_DIR): LibraryTokenizer {
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<
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

  it("bertTokenizeChineseChars gives exactly the library's tokenize_chinese_chars", () => {
    const library = bertNormalizer(libraryTokenizer()) as unknown as {
      tokenize_chinese_chars: (text: string) => string;
    };
    for (let cp = 0; cp < 0x110000; cp += cp < 0x10000 ? 1 : 97) {
      const text = `a${String.fromCodePoint(cp)}b`;
      expect(bertTokenizeChineseChars(text)).toBe(library.tokenize_chinese_chars(text));
    }
    for (let seed = 1; seed <= 200; seed++) {
      const text = randomText(seed, 1 + (seed % 150));
      expect(bertTokenizeChineseChars(text)).toBe(library.tokenize_chinese_chars(text));
    }
  });

  it("fastDictionarySplit cuts exactly as the library's DictionarySplitter, leftmost-longest", () => {
    const library = libraryTokenizer();
    const Splitter = library.splitter_unnormalized.constructor as new (words: string[]) => {
      trie: object;
      split(text: string): string[];
    };
    const dictionaries = [
      ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
      ['ab', 'abc', 'b', 'bca', '', ']', '\\', '^', '-', 'end', '😀x', '日本'],
      [],
    ];
    const alphabet = [
      '[',
      ']',
      'C',
      'L',
      'S',
      'E',
      'P',
      'M',
      'A',
      'K',
      'a',
      'b',
      'c',
      'x',
      '\\',
      '^',
      '-',
      'e',
      'n',
      'd',
      '😀',
      '日',
      '本',
      ' ',
    ];
    let state = 7;
    const next = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    for (const words of dictionaries) {
      const ours = new Splitter(words);
      const fast = fastDictionarySplit(ours.trie as never);
      const reference = new Splitter(words);
      for (const text of [
        '',
        '[CLS]',
        'x[CLS][SEP]y',
        '[[MASK]]',
        '[CL',
        'abcabc',
        'end',
        ...codeSamples(),
      ]) {
        expect(fast(text)).toEqual(reference.split(text));
      }
      for (let i = 0; i < 400; i++) {
        const text = Array.from({ length: next(40) }, () => alphabet[next(alphabet.length)]).join('');
        expect(fast(text)).toEqual(reference.split(text));
      }
    }
  });

  it("fastWordPieceEncode gives exactly the library's WordPiece pieces", () => {
    for (const dir of TOKENIZER_DIRS) {
      const library = libraryTokenizer(dir);
      const model = library.model;
      const reference = model.encode.bind(model);
      const fast = fastWordPieceEncode(model, reference);
      const vocab = [...model.tokens_to_ids.keys()];
      let state = 11;
      const next = (n: number): number => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return state % n;
      };
      // The longest entries, whole and as continuations ("x" + entry): the fast path's search starts there.
      const longest = Math.max(...vocab.map((k) => k.length));
      const long = vocab
        .filter((k) => k.length >= longest - 2)
        .flatMap((k) => [k, `x${k.replace(/^##/, '')}`]);
      const words: string[] = [
        ...long,
        '',
        'a',
        'unaffable',
        'x'.repeat(100),
        'x'.repeat(101),
        'é'.repeat(101),
        '😀',
        'a😀b',
        '##',
        '[UNK]',
      ];
      for (let i = 0; i < 3000; i++) {
        // Concatenations of vocabulary entries (with their ## cut off or not), random letters, rare characters.
        const parts = Array.from({ length: 1 + next(4) }, () => {
          const kind = next(10);
          if (kind < 6) return vocab[next(vocab.length)].replace(/^##/, next(2) === 0 ? '' : '##');
          if (kind < 8) return String.fromCharCode(97 + next(26)).repeat(1 + next(30));
          return ['ü', 'ß', '日', '\u0300', '😀', '\ud800', 'Ω', '#'][next(8)];
        });
        words.push(parts.join(''));
      }
      for (const word of words) expect(fast([word])).toEqual(reference([word]));
      expect(fast(words)).toEqual(reference(words));
    }
  });

  it('installs every fast path, and encodes and counts exactly as the library does, for every bundled tokenizer', () => {
    const texts = [...codeSamples(), ...Array.from({ length: 60 }, (_, i) => randomText(5000 + i, 200))];
    texts.push(
      '[CLS] inline [SEP] special [MASK] tokens [UNK]',
      'x'.repeat(300),
      '日本語のコード 😀 ünïcödé',
    );
    for (const dir of TOKENIZER_DIRS) {
      const library = libraryTokenizer(dir);
      const patched = libraryTokenizer(dir);
      expect(installFastPaths(patched)).toEqual({
        cleanText: 1,
        chineseChars: 1,
        wordPiece: true,
        splitters: 2,
      });
      const ours = HfTokenizer.fromDirectory(dir);
      for (const text of texts) {
        const expected = library.encode(text).ids;
        expect(patched.encode(text).ids).toEqual(expected);
        expect(ours.encode(text, 100_000).ids).toEqual(expected);
        expect(ours.count(text)).toBe(library.encode(text, { add_special_tokens: false }).ids.length);
      }
    }
  });

  it('leaves a tokenizer of another shape as it is', () => {
    const other = { normalizer: null, model: { config: { type: 'BPE' }, encode: () => [] } };
    const encode = other.model.encode;
    expect(installFastPaths(other)).toEqual({
      cleanText: 0,
      chineseChars: 0,
      wordPiece: false,
      splitters: 0,
    });
    expect(other.model.encode).toBe(encode);
  });

  it('HfTokenCounter counts exactly as the library does, with its vocabulary as a set', () => {
    const texts = [...codeSamples(), ...Array.from({ length: 60 }, (_, i) => randomText(7000 + i, 200))];
    // Astral characters inside words take the library's own WordPiece, which must see the whole vocabulary.
    texts.push(
      '[CLS] inline [SEP] [MASK]',
      'x'.repeat(300),
      'a😀b unaffable 日本語 ünïcödé',
      'getUserById(ctx)',
    );
    for (const dir of TOKENIZER_DIRS) {
      const library = libraryTokenizer(dir);
      const counter = HfTokenCounter.fromDirectory(dir);
      const inner = (counter as unknown as { tokenizer: LibraryTokenizer }).tokenizer;
      expect(inner.model.tokens_to_ids).toBeInstanceOf(Set);
      expect(inner.model.tokens_to_ids.size).toBe(library.model.tokens_to_ids.size);
      for (const text of texts) {
        expect(counter.count(text)).toBe(library.encode(text, { add_special_tokens: false }).ids.length);
      }
    }
  });

  it('HfTokenCounter reports a missing tokenizer with the directory and a hint', () => {
    expect(() => HfTokenCounter.fromDirectory('/nonexistent/model')).toThrow(
      /cannot read tokenizer.json in \/nonexistent\/model/,
    );
  });

  it("fromDirectory builds the library's vocabulary (token → id, id → token, unk id) for every bundled tokenizer", () => {
    for (const dir of TOKENIZER_DIRS) {
      const library = libraryTokenizer(dir) as LibraryTokenizer & {
        model: { vocab: string[]; unk_token_id: number };
      };
      const ours = (HfTokenizer.fromDirectory(dir) as unknown as { tokenizer: typeof library }).tokenizer;
      expect([...ours.model.tokens_to_ids.entries()]).toEqual([...library.model.tokens_to_ids.entries()]);
      expect(ours.model.unk_token_id).toBe(library.model.unk_token_id);
      expect(ours.model.vocab).toEqual(library.model.vocab);
    }
  });

  it('keeps the id → token array exact when an added token takes over a vocabulary entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codeidx-tokenizer-'));
    const added = (id: number, content: string) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    });
    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify({
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: [added(0, '[UNK]'), added(6, 'ab'), added(7, '[NEW]')],
        normalizer: null,
        pre_tokenizer: { type: 'BertPreTokenizer' },
        post_processor: null,
        decoder: null,
        model: {
          type: 'WordPiece',
          unk_token: '[UNK]',
          continuing_subword_prefix: '##',
          max_input_chars_per_word: 100,
          vocab: { '[UNK]': 0, a: 1, ab: 2, '##b': 3, b: 4, '##a': 5 },
        },
      }),
    );
    writeFileSync(join(dir, 'tokenizer_config.json'), '{}');
    const library = libraryTokenizer(dir) as LibraryTokenizer & {
      model: { vocab: string[]; unk_token_id: number };
    };
    const ours = HfTokenizer.fromDirectory(dir);
    const inner = (ours as unknown as { tokenizer: typeof library }).tokenizer;
    expect(inner.model.vocab).toEqual(library.model.vocab);
    expect(inner.model.vocab[2]).toBe('ab');
    expect((inner.model.tokens_to_ids as ReadonlyMap<string, number>).get('ab')).toBe(6);
    for (const text of ['ab abab ba', 'c [NEW] ab[UNK]a', 'bbb a']) {
      expect(ours.encode(text, 100).ids).toEqual(library.encode(text).ids);
    }
  });
});
