import { describe, expect, it } from 'vitest';
import { TreeSitterChunker } from '../../src/adapters/tree-sitter/tree-sitter-chunker.js';
import { embedHeader, headerPath, PATH_HEADER_TOKENS } from '../../src/core/build-chunk.js';
import { pointId, sha256Hex } from '../../src/core/identity.js';
import type { StoredChunk } from '../../src/core/ports.js';
import { rebuildRenamedChunks } from '../../src/core/reuse-chunks.js';
import { estimateTokens } from '../../src/core/token-budget.js';
import type { Chunk, RefScope, SourceFile } from '../../src/core/types.js';

const counter = { count: (t: string) => estimateTokens(t) };
const pathPart = (shown: string) => estimateTokens(`path: ${shown}\n\n`);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function source(path: string, language: string, text: string): SourceFile {
  return { path, language, text, fileHash: sha256Hex(text) };
}

/** A chunk without what depends on the path (path, header, hash). */
function pathFree(c: Chunk) {
  return [c.ordinal, c.symbol, c.symbolKind, c.scope, c.startLine, c.endLine, c.code];
}

const GO = Array.from(
  { length: 12 },
  (_, i) =>
    `// Handler${i} serves request kind ${i}.\nfunc Handler${i}(w http.ResponseWriter, r *http.Request) error {\n` +
    Array.from(
      { length: 6 + (i % 5) },
      (_, j) => `\tif err := step${j}(w, r, "${'x'.repeat(i + j)}"); err != nil {\n\t\treturn err\n\t}\n`,
    ).join('') +
    '\treturn nil\n}\n',
).join('\n');

describe('headerPath', () => {
  it('keeps a path whose header part fits the reserve', () => {
    expect(headerPath('src/core/build-chunk.ts')).toBe('src/core/build-chunk.ts');
    expect(embedHeader('a/b.ts', 'function f')).toBe('path: a/b.ts\nscope: function f\n\n');
  });

  it('drops leading folders of a long path, keeping as many trailing parts as fit', () => {
    const long = 'go/cmd/compile/internal/ssagen/very/deep/folder/structure/rewriteAMD64splitload.go';
    const shown = headerPath(long);
    expect(shown.startsWith('…/')).toBe(true);
    expect(long.endsWith(shown.slice(2))).toBe(true);
    expect(pathPart(shown)).toBeLessThanOrEqual(PATH_HEADER_TOKENS);
    // One more leading part would not fit.
    const parts = long.split('/');
    const kept = shown.slice(2).split('/').length;
    expect(pathPart(`…/${parts.slice(parts.length - kept - 1).join('/')}`)).toBeGreaterThan(
      PATH_HEADER_TOKENS,
    );
  });

  it('keeps the end of a file name that does not fit alone, never splitting a surrogate pair', () => {
    const name = `${'a1'.repeat(40)}.ts`;
    const shown = headerPath(`dir/${name}`);
    expect(shown.startsWith('…')).toBe(true);
    expect(name.endsWith(shown.slice(1))).toBe(true);
    expect(pathPart(shown)).toBeLessThanOrEqual(PATH_HEADER_TOKENS);
    for (const emoji of ['😀'.repeat(40), `x${'😀'.repeat(40)}`]) {
      const s = headerPath(`d/${emoji}.md`);
      expect(pathPart(s)).toBeLessThanOrEqual(PATH_HEADER_TOKENS);
      expect(LONE_SURROGATE.test(s)).toBe(false);
    }
  });
});

describe('chunk boundaries do not depend on the path', () => {
  const paths = [
    'a.go',
    'pkg/server/handlers.go',
    `${'deeply/nested/'.repeat(8)}handlers_with_a_long_name.go`,
  ];

  it.each([
    ['go', GO],
    ['text', GO.replaceAll('\t', '    ')],
  ])('%s: same drafts under a short, a medium and a shortened long path', async (language, text) => {
    const chunker = new TreeSitterChunker({ tokenCounter: counter, maxTokens: 128 });
    const results = [];
    for (const p of paths) {
      const path = language === 'text' ? p.replace(/\.go$/, '.txt') : p;
      const chunks = await chunker.chunk(source(path, language, text));
      for (const c of chunks) {
        expect(c.embedText).toBe(embedHeader(path, c.scope) + c.code);
        expect(counter.count(c.embedText)).toBeLessThanOrEqual(128);
      }
      results.push(chunks.map(pathFree));
    }
    expect(results[0].length).toBeGreaterThan(3);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});

describe('rebuildRenamedChunks', () => {
  const scope: RefScope = { repo: 'acme/x', ref: 'refs/heads/main' };

  async function storedOf(
    path: string,
  ): Promise<{ file: SourceFile; chunks: Chunk[]; stored: StoredChunk[] }> {
    const file = source(path, 'go', GO);
    const chunks = await new TreeSitterChunker({ tokenCounter: counter, maxTokens: 128 }).chunk(file);
    const stored = chunks.map((c) => ({
      id: pointId(scope, path, c.ordinal, c.contentHash),
      path,
      language: 'go',
      symbol: c.symbol,
      symbolKind: c.symbolKind,
      startLine: c.startLine,
      endLine: c.endLine,
      contentHash: c.contentHash,
      fileHash: file.fileHash,
      text: c.code,
      scope: c.scope,
      ordinal: c.ordinal,
    }));
    return { file, chunks, stored };
  }

  it("gives exactly the chunker's chunks of the new path, from the stored points in any order", async () => {
    const { stored } = await storedOf('old/name.go');
    const { file, chunks } = await storedOf('new/place/name.go');
    expect(rebuildRenamedChunks(scope, 'old/name.go', [...stored].reverse(), file)).toEqual(chunks);
  });

  it('refuses what it cannot prove: unknown ordinals, gaps, duplicates, another content or language, a bad id', async () => {
    const { stored } = await storedOf('old.go');
    const { file } = await storedOf('new.go');
    const edit = (i: number, change: Partial<StoredChunk>) =>
      stored.map((c, j) => (j === i ? { ...c, ...change } : c));
    expect(rebuildRenamedChunks(scope, 'old.go', [], file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', edit(0, { ordinal: null, scope: null }), file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', stored.slice(1), file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', [...stored, stored[0]], file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', edit(1, { fileHash: 'f'.repeat(64) }), file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', edit(1, { language: 'text' }), file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', edit(2, { id: stored[3].id }), file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', edit(2, { text: `${stored[2].text} ` }), file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'other.go', stored, file)).toBeNull();
    expect(rebuildRenamedChunks(scope, 'old.go', stored, file)).not.toBeNull();
  });
});
