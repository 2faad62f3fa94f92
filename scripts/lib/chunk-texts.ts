/**
 * Real chunk texts for throughput measurements: the embedded text (`embedText`: header + code) of
 * every chunk the CLI's chunker makes of a source tree, files in path order, up to a limit. Shared by
 * scripts/measure-static-throughput.ts and the `quality` benchmark (bench/suites/quality.ts).
 */
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { createChunker } from '../../src/cli/wiring.js';
import { classifyFile } from '../../src/core/file-filter.js';
import type { Embedder, Logger } from '../../src/core/ports.js';

/**
 * Chunks `source` (files sorted by path; binary, generated and other skipped files left out) with the
 * chunker the CLI would use with `embedder`, and returns the first `limit` embed texts.
 */
export async function chunkTexts(
  source: string,
  embedder: Embedder,
  limit: number,
  logger: Logger,
): Promise<string[]> {
  const reader = await openSourceReader(source);
  const chunker = createChunker(embedder, logger);
  const texts: string[] = [];
  try {
    for (const f of (await reader.listFiles()).files.sort((a, b) => a.path.localeCompare(b.path))) {
      const c = classifyFile(f.path, await reader.readFile(f.path));
      if (c.kind !== 'ok') continue;
      for (const chunk of await chunker.chunk(c.file)) texts.push(chunk.embedText);
      if (texts.length >= limit) break;
    }
  } finally {
    await chunker.dispose();
  }
  return texts.slice(0, limit);
}
