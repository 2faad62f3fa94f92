/**
 * The chunks of a renamed file, rebuilt from what the store holds for its old path instead of
 * chunked again.
 *
 * Why it is exact: chunk boundaries, symbols and scope lines depend on the file's content and
 * language only — the one input of the chunkers that came from the path, the header's size, is a
 * fixed reserve (`PATH_HEADER_TOKENS`, core/build-chunk). So a file renamed without a content change
 * has the chunks it had under its old path, with the new path's header: `buildChunk` of the same
 * drafts. The store gives back each chunk's code, lines, symbol, scope line and ordinal
 * (`VectorStore.chunksOfPaths`), and every one of them is checked before it is used:
 * - the stored points of the old path are one complete write of this very content (same file hash,
 *   same language, ordinals exactly 0..n-1);
 * - each point's id is `pointId` of the old path with its ordinal and content hash;
 * - each content hash is sha256 of the header the old path and the stored scope line give, followed
 *   by the stored code — which proves that scope line and code are exactly what the chunker made.
 * Anything else (points written before scope lines were stored, another chunker version's output, a
 * changed extension, a tampered row) gives null, and the caller chunks the file as usual.
 *
 * On the action benchmark's rename push (85 files, ~2,200 chunks) chunking took ~0.6 s of the main
 * thread (tree-sitter parse ≈ 0.25 s, exact token counts ≈ 0.15 s); BENCHMARKS.md §8.
 *
 * @module core/reuse-chunks
 */
import { buildChunk, embedHeader } from './build-chunk.js';
import { pointId, sha256Hex } from './identity.js';
import type { StoredChunk } from './ports.js';
import type { Chunk, RefScope, SourceFile } from './types.js';

/**
 * The chunks of `file` (the new path's content) rebuilt from `stored`, the points the store holds for
 * `fromPath` in `scope`, or null when they cannot be proven to be that content's chunks (see the
 * module comment). Pure; O(total code length) for the hashes.
 */
export function rebuildRenamedChunks(
  scope: RefScope,
  fromPath: string,
  stored: readonly StoredChunk[],
  file: Pick<SourceFile, 'path' | 'language' | 'fileHash'>,
): Chunk[] | null {
  if (stored.length === 0) return null;
  const byOrdinal: Array<StoredChunk | undefined> = new Array<StoredChunk | undefined>(stored.length);
  for (const c of stored) {
    if (c.path !== fromPath || c.fileHash !== file.fileHash || c.language !== file.language) return null;
    const k = c.ordinal;
    if (k === null || !Number.isInteger(k) || k < 0 || k >= stored.length || byOrdinal[k] !== undefined)
      return null;
    if (pointId(scope, fromPath, k, c.contentHash) !== c.id) return null;
    if (sha256Hex(embedHeader(fromPath, c.scope) + c.text) !== c.contentHash) return null;
    byOrdinal[k] = c;
  }
  return byOrdinal.map((c, ordinal) =>
    buildChunk(
      file,
      {
        symbol: c!.symbol,
        symbolKind: c!.symbolKind,
        scope: c!.scope,
        startLine: c!.startLine,
        endLine: c!.endLine,
        code: c!.text,
      },
      ordinal,
    ),
  );
}
