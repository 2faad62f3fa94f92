import type { Chunk } from '../../../src/core/types.js';

/**
 * Checks that `chunks` tile `text`: each chunk's code is its exact source lines (or, for a line cut
 * by characters, a piece of it), and every non-blank line is in exactly one chunk — or, when cut,
 * its pieces concatenate back to the line. Returns the list of problems (empty when sound).
 */
export function coverageProblems(text: string, chunks: readonly Chunk[]): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const owners: number[][] = lines.map(() => []);
  const problems: string[] = [];
  chunks.forEach((c, i) => {
    if (c.ordinal !== i) problems.push(`chunk ${i} has ordinal ${c.ordinal}`);
    if (c.startLine < 1 || c.endLine < c.startLine || c.endLine > lines.length)
      problems.push(`chunk ${i} bad range ${c.startLine}-${c.endLine}`);
    const source = lines.slice(c.startLine - 1, c.endLine).join('\n');
    if (c.startLine === c.endLine) {
      if (!source.includes(c.code)) problems.push(`chunk ${i} code not in line ${c.startLine}`);
    } else if (source !== c.code) {
      problems.push(`chunk ${i} code differs from lines ${c.startLine}-${c.endLine}`);
    }
    for (let l = c.startLine; l <= c.endLine; l++) owners[l - 1]?.push(i);
  });
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const own = owners[i];
    if (own.length === 0) problems.push(`line ${i + 1} not covered`);
    else if (own.length > 1) {
      const pieces = own.map((o) => chunks[o]);
      if (
        pieces.some((p) => p.startLine !== p.endLine) ||
        pieces
          .map((p) => p.code)
          .join('')
          .replace(/\s+/g, '') !== line.replace(/\s+/g, '')
      ) {
        problems.push(`line ${i + 1} covered by chunks ${own.join(',')}`);
      }
    }
  });
  return problems;
}
