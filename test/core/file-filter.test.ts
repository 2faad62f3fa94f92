import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BINARY_SNIFF_BYTES,
  LOCK_FILE_NAMES,
  MAX_LINE_LENGTH,
  MINIFIED_AVERAGE_LINE_LENGTH,
  classifyFile,
  classifyPath,
  type FileClassification,
} from '../../src/core/file-filter.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function reason(result: FileClassification): string {
  return result.kind === 'ok' ? 'ok' : result.reason;
}

function ok(result: FileClassification) {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.reason}: ${result.detail}`);
  return result.file;
}

/** `n` lines of ordinary code. */
const normalLines = (n: number): string =>
  Array.from({ length: n }, (_, i) => `export const value${i} = compute(${i}, 'x');`).join('\n');

describe('classifyFile', () => {
  it('accepts a source file with its language, text and sha256 of the raw bytes', () => {
    const bytes = utf8('export function add(a: number, b: number) {\n  return a + b;\n}\n');
    const file = ok(classifyFile('src/add.ts', bytes));
    expect(file).toEqual({
      path: 'src/add.ts',
      language: 'typescript',
      text: 'export function add(a: number, b: number) {\n  return a + b;\n}\n',
      fileHash: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it("gives an unknown extension's valid UTF-8 text the language 'text'", () => {
    expect(ok(classifyFile('notes/todo.xyz', utf8('buy milk\n'))).language).toBe('text');
    expect(ok(classifyFile('bin/run', utf8('#!/bin/sh\necho hi\n'))).language).toBe('text');
  });

  it('strips a UTF-8 BOM from the text but hashes the raw bytes', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('x = 1\n')]);
    const file = ok(classifyFile('a.py', bytes));
    expect(file.text).toBe('x = 1\n');
    expect(file.fileHash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('skips an empty file, and one with only whitespace or a BOM', () => {
    expect(reason(classifyFile('empty.ts', new Uint8Array(0)))).toBe('empty');
    expect(reason(classifyFile('blank.ts', utf8('  \n\n\t\n')))).toBe('empty');
    expect(reason(classifyFile('bom.ts', new Uint8Array([0xef, 0xbb, 0xbf])))).toBe('empty');
  });

  it('skips a file over the size limit before looking at it', () => {
    const bytes = utf8('a'.repeat(101));
    expect(reason(classifyFile('big.ts', bytes, { maxFileBytes: 100 }))).toBe('too-large');
    expect(reason(classifyFile('big.ts', utf8('a'.repeat(100)), { maxFileBytes: 100 }))).toBe('ok');
  });

  it('skips a binary with a .ts extension (NUL byte)', () => {
    const bytes = new Uint8Array([0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xb0, 0x0d]); // an MPEG-TS packet head
    const result = classifyFile('video/clip.ts', bytes);
    expect(result).toMatchObject({ kind: 'skip', reason: 'binary' });
  });

  it('looks for NUL bytes only in the first 8000 bytes, as git does', () => {
    const late = utf8('a'.repeat(BINARY_SNIFF_BYTES) + '\0\n');
    const early = utf8('a'.repeat(BINARY_SNIFF_BYTES - 1) + '\0\n');
    // One long line: use a prose file so only the NUL rule is in play.
    expect(reason(classifyFile('late.md', late))).toBe('ok');
    expect(reason(classifyFile('early.md', early))).toBe('binary');
  });

  it('skips a UTF-16 file (NUL bytes) as binary', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]);
    expect(reason(classifyFile('utf16.txt', bytes))).toBe('binary');
  });

  it('skips known binary extensions by name, whatever the bytes', () => {
    expect(reason(classifyFile('logo.PNG', utf8('not really a png')))).toBe('binary');
    expect(reason(classifyFile('model.onnx', utf8('x')))).toBe('binary');
  });

  it('skips invalid UTF-8', () => {
    expect(reason(classifyFile('latin1.c', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])))).toBe(
      'invalid-utf8',
    );
    expect(reason(classifyFile('trunc.ts', new Uint8Array([0x61, 0xe2, 0x82])))).toBe('invalid-utf8');
  });

  it('skips every lock file by name, at any depth', () => {
    for (const name of [
      'package-lock.json',
      'yarn.lock',
      'pnpm-lock.yaml',
      'Cargo.lock',
      'go.sum',
      'poetry.lock',
      'Gemfile.lock',
      'composer.lock',
    ]) {
      expect(LOCK_FILE_NAMES.has(name)).toBe(true);
      expect(reason(classifyFile(`web/${name}`, utf8('{"lockfileVersion": 3}\n')))).toBe('lockfile');
    }
    expect(reason(classifyFile('package.json', utf8('{"name": "x"}\n')))).toBe('ok');
  });

  it('skips minified files by name', () => {
    expect(reason(classifyFile('public/app.min.js', utf8('var a=1;\n')))).toBe('minified');
    expect(reason(classifyFile('public/site.min.css', utf8('a{b:c}\n')))).toBe('minified');
    expect(reason(classifyFile('public/jquery-min.js', utf8('var a=1;\n')))).toBe('minified');
    expect(reason(classifyFile('src/admin.js', utf8('var a = 1;\n')))).toBe('ok');
  });

  it('skips code whose average line is longer than the minified threshold', () => {
    const line = 'a=b+c;'.repeat(Math.ceil((MINIFIED_AVERAGE_LINE_LENGTH + 50) / 6));
    const text = Array.from({ length: 5 }, () => line).join('\n');
    expect(reason(classifyFile('bundle.js', utf8(text)))).toBe('minified');
  });

  it('does not call Markdown with one-line paragraphs minified', () => {
    const paragraph = 'This paragraph is kept on a single line, as many writers do. '.repeat(12);
    const text = Array.from({ length: 6 }, () => paragraph).join('\n');
    expect(text.length / 6).toBeGreaterThan(MINIFIED_AVERAGE_LINE_LENGTH);
    expect(reason(classifyFile('docs/guide.md', utf8(text)))).toBe('ok');
  });

  it('skips a file with a 100,000-character line among ordinary lines as long-lines', () => {
    const text = `${normalLines(300)}\nconst blob = "${'A'.repeat(100_000)}";\n${normalLines(300)}\n`;
    const result = classifyFile('src/data.ts', utf8(text));
    expect(result).toMatchObject({ kind: 'skip', reason: 'long-lines' });
    expect(result.kind === 'skip' && result.detail).toContain('line 301');
  });

  it('calls a single 100,000-character line minified in code, long-lines in prose', () => {
    const line = 'x'.repeat(100_000);
    expect(reason(classifyFile('src/one.js', utf8(line)))).toBe('minified');
    expect(reason(classifyFile('docs/one.md', utf8(line)))).toBe('long-lines');
  });

  it('draws the long-line limit at MAX_LINE_LENGTH characters', () => {
    const at = `${normalLines(200)}\n${'y'.repeat(MAX_LINE_LENGTH)}\n`;
    const over = `${normalLines(200)}\n${'y'.repeat(MAX_LINE_LENGTH + 1)}\n`;
    expect(reason(classifyFile('a.ts', utf8(at)))).toBe('ok');
    expect(reason(classifyFile('a.ts', utf8(over)))).toBe('long-lines');
  });

  it("skips Go's generated-code header, also below a license comment", () => {
    const header = '// Code generated by protoc-gen-go. DO NOT EDIT.\n// source: api.proto\n\npackage api\n';
    expect(reason(classifyFile('api/api.pb.go', utf8(header)))).toBe('generated');
    const licensed = `// Copyright 2024 Example\n${'// Licensed under the Apache License.\n'.repeat(10)}\n${header}`;
    expect(reason(classifyFile('api/api.pb.go', utf8(licensed)))).toBe('generated');
  });

  it('skips @generated, <auto-generated> and "generated … do not edit" comment markers', () => {
    expect(
      reason(
        classifyFile(
          'gen/schema.ts',
          utf8('/**\n * @generated SignedSource<<abc>>\n */\nexport type A = 1;\n'),
        ),
      ),
    ).toBe('generated');
    expect(reason(classifyFile('gen/x.rs', utf8('// @generated by cargo-foo\nfn main() {}\n')))).toBe(
      'generated',
    );
    expect(
      reason(
        classifyFile(
          'gen/Model.cs',
          utf8('// <auto-generated>\n//   by a tool\n// </auto-generated>\nclass A {}\n'),
        ),
      ),
    ).toBe('generated');
    expect(
      reason(
        classifyFile(
          'gen/api_pb2.py',
          utf8(
            '# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\nimport x\n',
          ),
        ),
      ),
    ).toBe('generated');
  });

  it('does not skip code that merely mentions the markers, or a marker far below the header', () => {
    expect(
      reason(classifyFile('src/check.ts', utf8('const marker = "@generated";\nexport default marker;\n'))),
    ).toBe('ok');
    expect(
      reason(
        classifyFile('src/go.go', utf8('package x\n\nconst s = "// Code generated by x. DO NOT EDIT."\n')),
      ),
    ).toBe('ok');
    expect(reason(classifyFile('src/late.ts', utf8(`${normalLines(60)}\n// @generated\n`)))).toBe('ok');
    // Go's rule needs the exact line: a different wording is not the marker.
    expect(
      reason(classifyFile('src/a.go', utf8('// Code generated by hand, please edit.\npackage a\n'))),
    ).toBe('ok');
  });
});

describe('classifyPath', () => {
  it('decides lock files, binary extensions and minified names without the content', () => {
    expect(classifyPath('a/yarn.lock')?.reason).toBe('lockfile');
    expect(classifyPath('img/x.jpeg')?.reason).toBe('binary');
    expect(classifyPath('x.min.css')?.reason).toBe('minified');
    expect(classifyPath('src/main.rs')).toBeNull();
    expect(classifyPath('.png')).toBeNull(); // a dot file named ".png" has no extension
  });
});
