/**
 * Line-window chunker: any text → windows of whole lines with overlap, within a token budget.
 * Used for text files (Markdown, YAML, JSON, shell, any language without a grammar) and as the
 * fallback of the tree-sitter chunker when a parse fails. A line longer than the budget is cut by
 * characters, so no chunk is far over budget whatever the input (minified files, data blobs).
 *
 * Markdown gets its ATX heading trail ("Install > Linux") as symbol and scope, and a new window
 * starts at a heading once the current one holds `minTokens`.
 *
 * @module core/line-window-chunker
 */
import { buildChunk, MAX_SCOPE_CHARS, PATH_HEADER_TOKENS, type ChunkDraft } from './build-chunk.js';
import { ChunkError } from './errors.js';
import { LineIndex } from './line-index.js';
import type { Chunker, TokenCounter } from './ports.js';
import { estimateTokens } from './token-budget.js';
import type { Chunk, SourceFile } from './types.js';

/**
 * Version of line-window output; bump on any change of boundaries or embedded text.
 * 2: the header's path part has a fixed reserve (`PATH_HEADER_TOKENS`), long paths are shortened.
 */
export const LINE_WINDOW_CHUNKER_VERSION = 2;

/** Default budget of a chunk's embedded text, in model tokens (without special tokens). */
export const DEFAULT_MAX_TOKENS = 256;
/** Default size under which neighbouring pieces are merged / a Markdown section may absorb the next. */
export const DEFAULT_MIN_TOKENS = 64;
/** Default most lines per window (the token budget usually binds first). */
export const DEFAULT_WINDOW_LINES = 60;
/** Default lines shared by consecutive windows, so that a match across a boundary is not lost. */
export const DEFAULT_OVERLAP_LINES = 3;
/** Smallest code budget per chunk whatever the header costs, so that progress is always possible. */
export const MIN_CODE_BUDGET = 16;

/** Options of `LineWindowChunker`. */
export interface LineWindowChunkerOptions {
  /**
   * Counts model tokens. The line-window path relies on the conservative `estimateTokens` only
   * (windows are greedy over many lines; exact counts there would cost more than the whole scan).
   */
  readonly tokenCounter: TokenCounter;
  /** Budget of `embedText` (header + code) in tokens, without special tokens. Default 256. */
  readonly maxTokens?: number;
  /** See `DEFAULT_MIN_TOKENS`. */
  readonly minTokens?: number;
  /** Most lines per window. Default 60. */
  readonly windowLines?: number;
  /** Lines repeated at the start of the next window. Default 3; 0 gives disjoint windows. */
  readonly overlapLines?: number;
}

/** A window: whole lines `start..end` (0-based, inclusive), or a character range of one long line. */
export type LineWindow =
  | { readonly kind: 'lines'; readonly start: number; readonly end: number }
  | { readonly kind: 'fragment'; readonly line: number; readonly from: number; readonly to: number };

/** Parameters of `lineWindows`. */
export interface LineWindowParams {
  /** Estimated-token budget of the code of one window (≥ 1). */
  readonly budget: number;
  readonly windowLines: number;
  readonly overlapLines: number;
  /** Optional: start a new window before line `i` (0-based) when the current one holds `tokens`. */
  readonly breakBefore?: (line: number, tokens: number) => boolean;
}

/**
 * Character ranges `[from, to)` cutting `text.slice(from, to)` into pieces of at most `budget`
 * estimated tokens, preferring a cut after whitespace in the last fifth of a piece and never
 * splitting a UTF-16 surrogate pair. Always progresses (a piece holds at least one code point).
 */
export function splitLongLine(
  text: string,
  from: number,
  to: number,
  budget: number,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const limit = Math.max(1, budget);
  let start = from;
  while (start < to) {
    let len = Math.min(to - start, Math.ceil(limit * 2.5));
    let est = estimateTokens(text, start, start + len);
    while (est > limit && len > 1) {
      len = Math.max(1, Math.min(len - 1, Math.floor((len * limit * 0.95) / est)));
      est = estimateTokens(text, start, start + len);
    }
    let end = start + len;
    if (end < to) {
      // Prefer to cut right after a whitespace character near the end.
      for (let i = end - 1; i > start + Math.floor(len * 0.8); i--) {
        const c = text.charCodeAt(i);
        if (c === 32 || c === 9) {
          end = i + 1;
          break;
        }
      }
      const last = text.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff && end - 1 > start) end--;
    }
    out.push([start, end]);
    start = end;
  }
  return out;
}

/**
 * Windows over lines `from..to` (0-based, inclusive) of `lines`: each window starts and ends on a
 * non-blank line, holds at most `windowLines` lines and `budget` estimated tokens (a single line
 * over budget becomes character fragments), and repeats up to `overlapLines` lines of the previous
 * window — never a window contained in the previous one. Every non-blank line is in some window.
 */
export function lineWindows(
  lines: LineIndex,
  from: number,
  to: number,
  params: LineWindowParams,
): LineWindow[] {
  const out: LineWindow[] = [];
  const budget = Math.max(1, params.budget);
  const maxLines = Math.max(1, params.windowLines);
  const overlap = Math.max(0, params.overlapLines);
  let s = lines.firstNonBlank(from, to);
  let prevEnd = -1;
  while (s >= 0) {
    if (lines.estimate(s, s) > budget) {
      for (const [a, b] of splitLongLine(lines.text, lines.starts[s], lines.ends[s], budget)) {
        out.push({ kind: 'fragment', line: s, from: a, to: b });
      }
      prevEnd = s;
      s = s < to ? lines.firstNonBlank(s + 1, to) : -1;
      continue;
    }
    let e = s;
    let forced = false;
    while (e < to && e + 1 - s + 1 <= maxLines && lines.estimate(s, e + 1) <= budget) {
      // A break is honoured only once the window holds a line the previous one did not.
      if (e > prevEnd && params.breakBefore?.(e + 1, lines.estimate(s, e)) === true) {
        forced = true;
        break;
      }
      e++;
    }
    const end = lines.lastNonBlank(s, e);
    out.push({ kind: 'lines', start: s, end });
    prevEnd = end;
    if (e >= to) break;
    const nextNew = lines.firstNonBlank(e + 1, to);
    if (nextNew < 0) break;
    // Overlap: start up to `overlap` lines back, as long as the next window can still reach a new
    // line; none after a forced break (a new section starts clean).
    let next = forced ? nextNew : Math.max(s + 1, end + 1 - overlap);
    while (
      next < nextNew &&
      (nextNew - next + 1 > maxLines || lines.estimate(next, nextNew) > budget || lines.isBlank(next))
    ) {
      next++;
    }
    if (lines.estimate(nextNew, nextNew) > budget) next = nextNew;
    s = next;
  }
  return out;
}

/** Markdown ATX heading trail per line (fenced code blocks skipped); null outside any heading. */
function markdownHeadings(lines: LineIndex): Array<string | null> {
  const trail: string[] = [];
  const levels: number[] = [];
  const out: Array<string | null> = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.lineCount; i++) {
    const line = lines.text.slice(lines.starts[i], lines.ends[i]);
    const fenceMatch = /^ {0,3}(```|~~~)/.exec(line);
    if (fenceMatch) {
      if (fence === null) fence = fenceMatch[1];
      else if (fence === fenceMatch[1]) fence = null;
    } else if (fence === null) {
      const heading = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*\r?$/.exec(line);
      if (heading && heading[2].length > 0) {
        const level = heading[1].length;
        while (levels.length > 0 && levels[levels.length - 1] >= level) {
          levels.pop();
          trail.pop();
        }
        levels.push(level);
        trail.push(heading[2].slice(0, 80));
      }
    }
    out.push(trail.length > 0 ? trail.join(' > ').slice(-MAX_SCOPE_CHARS) : null);
  }
  return out;
}

/** Whether line `i` opens a Markdown heading (per `markdownHeadings` output). */
function opensHeading(headings: ReadonlyArray<string | null>, i: number): boolean {
  return i > 0 ? headings[i] !== headings[i - 1] && headings[i] !== null : headings[0] !== null;
}

/**
 * Chunks any text into line windows. symbolKind is `text`; symbol is the Markdown heading trail
 * for Markdown, else null. Pure and synchronous (`chunkSync`); `chunk` wraps it for the port.
 */
export class LineWindowChunker implements Chunker {
  readonly version = LINE_WINDOW_CHUNKER_VERSION;
  private readonly maxTokens: number;
  private readonly minTokens: number;
  private readonly windowLines: number;
  private readonly overlapLines: number;

  /** Out-of-range numbers are clamped: budgets and window size to at least 1, overlap and minTokens to 0. */
  constructor(options: LineWindowChunkerOptions) {
    this.maxTokens = Math.max(1, Math.floor(options.maxTokens ?? DEFAULT_MAX_TOKENS));
    this.minTokens = Math.max(0, Math.floor(options.minTokens ?? DEFAULT_MIN_TOKENS));
    this.windowLines = Math.max(1, Math.floor(options.windowLines ?? DEFAULT_WINDOW_LINES));
    this.overlapLines = Math.max(0, Math.floor(options.overlapLines ?? DEFAULT_OVERLAP_LINES));
  }

  /** See `chunkSync`. */
  chunk(file: SourceFile): Promise<Chunk[]> {
    try {
      return Promise.resolve(this.chunkSync(file));
    } catch (error) {
      return Promise.reject(
        error instanceof ChunkError
          ? error
          : new ChunkError(file.path, 'line windows failed', { cause: error }),
      );
    }
  }

  /** Chunks `file` (only `path`, `language` and `text` are read). Empty or blank text → []. */
  chunkSync(file: Pick<SourceFile, 'path' | 'language' | 'text'>): Chunk[] {
    const lines = new LineIndex(file.text);
    return this.draftsFor(file.language, lines, 0, lines.lineCount - 1).map((d, i) =>
      buildChunk(file, d, i),
    );
  }

  /**
   * Drafts for lines `from..to` of `lines` (0-based, inclusive), numbered by the caller.
   * Exposed for the tree-sitter chunker's fallback.
   */
  draftsFor(language: string, lines: LineIndex, from: number, to: number): ChunkDraft[] {
    const headings = language === 'markdown' ? markdownHeadings(lines) : null;
    // The path part's fixed reserve, whatever `path` is: boundaries must not depend on the path.
    let reserve = PATH_HEADER_TOKENS;
    if (headings) {
      let longest = 0;
      for (const h of headings) if (h !== null) longest = Math.max(longest, estimateTokens(h));
      reserve += longest + 2;
    }
    const budget = Math.max(MIN_CODE_BUDGET, this.maxTokens - reserve);
    const windows = lineWindows(lines, from, to, {
      budget,
      windowLines: this.windowLines,
      overlapLines: this.overlapLines,
      breakBefore: headings
        ? (i, tokens) => tokens >= this.minTokens && opensHeading(headings, i)
        : undefined,
    });
    return windows.map((w) => {
      const first = w.kind === 'lines' ? w.start : w.line;
      const heading = headings ? (headings[first] ?? null) : null;
      return {
        symbol: heading,
        symbolKind: 'text',
        scope: heading,
        startLine: first + 1,
        endLine: (w.kind === 'lines' ? w.end : w.line) + 1,
        code: w.kind === 'lines' ? lines.slice(w.start, w.end) : lines.text.slice(w.from, w.to),
      };
    });
  }
}
