/**
 * Line table of a text with per-line token estimates, so that the estimate of any line range is O(1).
 *
 * @module core/line-index
 */
import { estimateTokens } from './token-budget.js';

/**
 * Lines of a text split on "\n" (a "\r" before it stays part of the line, so code is exact source).
 * Line numbers here are 0-based; chunks convert to 1-based.
 */
export class LineIndex {
  /** Offset (UTF-16 units) of the first character of each line. */
  readonly starts: number[] = [];
  /** Offset just past the last character of each line (its "\n" excluded). */
  readonly ends: number[] = [];
  /** prefix[i] = sum of `estimateTokens` of lines 0..i-1 (length = lineCount + 1). */
  private readonly prefix: number[] = [0];
  /** blank[i] = line i holds only whitespace. */
  private readonly blank: boolean[] = [];

  constructor(readonly text: string) {
    let start = 0;
    const n = text.length;
    while (start <= n) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = n;
      this.starts.push(start);
      this.ends.push(end);
      const est = estimateTokens(text, start, end);
      this.prefix.push(this.prefix[this.prefix.length - 1] + est);
      this.blank.push(est === 0);
      start = end + 1;
    }
    // A final "\n" does not open an empty last line.
    if (this.starts.length > 1 && this.starts[this.starts.length - 1] === n) {
      this.starts.pop();
      this.ends.pop();
      this.prefix.pop();
      this.blank.pop();
    }
  }

  /** Number of lines (≥ 1; an empty text has one empty line). */
  get lineCount(): number {
    return this.starts.length;
  }

  /** Estimated tokens of lines `from..to` (0-based, inclusive). */
  estimate(from: number, to: number): number {
    return this.prefix[to + 1] - this.prefix[from];
  }

  /** Whether line `i` is blank (whitespace only). */
  isBlank(i: number): boolean {
    return this.blank[i] === true;
  }

  /** Exact source text of lines `from..to` (0-based, inclusive), joined by their original newlines. */
  slice(from: number, to: number): string {
    return this.text.slice(this.starts[from], this.ends[to]);
  }

  /** First non-blank line in `from..to`, or -1. */
  firstNonBlank(from: number, to: number): number {
    for (let i = from; i <= to; i++) if (!this.blank[i]) return i;
    return -1;
  }

  /** Last non-blank line in `from..to`, or -1. */
  lastNonBlank(from: number, to: number): number {
    for (let i = to; i >= from; i--) if (!this.blank[i]) return i;
    return -1;
  }
}
