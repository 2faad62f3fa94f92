/**
 * @module adapters/tree-sitter — symbol-aware chunking with web-tree-sitter (the `Chunker` port).
 *
 * Algorithm: split-then-merge over the syntax tree, as in cAST (Zhang et al. 2025, "cAST: Enhancing
 * Code Retrieval-Augmented Generation with Structural Chunking via Abstract Syntax Tree"),
 * claude-context's `AstCodeSplitter` and continue's `codeChunker`, but on whole lines:
 * 1. The children of a node are turned into line ranges ("items") that tile the node's lines:
 *    blank lines, comments and attributes above a declaration start the item of that declaration
 *    (leading comments belong to what they document); punctuation such as a closing `}` ends the
 *    previous item; the header line of a class joins its first member.
 * 2. An item within the token budget is a piece. An item over budget is split along its own
 *    children (step 1 again), walked with an explicit stack — never recursion — so a file nested
 *    10,000 levels deep cannot overflow the JS stack. An item that cannot be split (a leaf such as a
 *    long string, or several statements on one line) becomes line windows, and a single line over
 *    budget becomes character fragments.
 * 3. Neighbouring pieces of one parent are merged greedily while one of them is under `minTokens`
 *    and the sum fits the budget.
 * Every line of the file lies in exactly one chunk (leading/trailing blank lines trimmed).
 *
 * Budget: `maxTokens` counts the whole `embedText` (header + code; the header's path part as its fixed
 * reserve `PATH_HEADER_TOKENS`, so that boundaries never depend on the path) in tokens of the model tokenizer
 * without special tokens. Sizes come from the conservative `estimateTokens` (see core/token-budget,
 * calibrated on the Go standard library); the exact `TokenCounter` is called only when an item's
 * estimate is within the ambiguous band above the budget, because the WordPiece tokenizer (~1.4 MB/s)
 * would otherwise dominate the chunking cost.
 *
 * Failure policy: a language without a grammar, a file over `maxParseBytes`, a parse that times
 * out, or any tree-sitter error gives line windows (logged at warn and counted in `stats`); the run
 * never aborts because of one file.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import {
  buildChunk,
  PATH_HEADER_TOKENS,
  scopeLabel,
  type ChunkDraft,
  type ScopeEntry,
} from '../../core/build-chunk.js';
import { ChunkError } from '../../core/errors.js';
import { isParsedLanguage, type ParsedLanguage } from '../../core/languages.js';
import { LineIndex } from '../../core/line-index.js';
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_MIN_TOKENS,
  LINE_WINDOW_CHUNKER_VERSION,
  LineWindowChunker,
  MIN_CODE_BUDGET,
  lineWindows,
  type LineWindowChunkerOptions,
} from '../../core/line-window-chunker.js';
import type { Chunker, Logger } from '../../core/ports.js';
import { TokenBudget, estimateTokens } from '../../core/token-budget.js';
import type { Chunk, SourceFile } from '../../core/types.js';
import { describeSymbol, isLeadingTrivia } from './symbols.js';

/**
 * Version of the chunker output (tree-sitter and line windows together), stored in index state.
 * Bump on any change of chunk boundaries, symbols or embedded text; the line-window version is
 * folded in so that a change there also changes this number.
 */
export const CHUNKER_VERSION = 200 + LINE_WINDOW_CHUNKER_VERSION; // 2xx: fixed path reserve (PATH_HEADER_TOKENS)

/** Default parse time limit per file, in milliseconds. */
export const DEFAULT_PARSE_TIMEOUT_MS = 5_000;
/** Default largest text parsed, in UTF-16 units; bigger files get line windows. */
export const DEFAULT_MAX_PARSE_CHARS = 2_000_000;

/** Grammar file name (in @repomix/tree-sitter-wasms/out) of each parsed language. */
const WASM_NAMES: Readonly<Record<ParsedLanguage, string>> = {
  typescript: 'typescript',
  tsx: 'tsx',
  javascript: 'javascript',
  python: 'python',
  go: 'go',
  rust: 'rust',
  java: 'java',
  c: 'c',
  cpp: 'cpp',
  csharp: 'c_sharp',
  ruby: 'ruby',
  php: 'php',
};

/**
 * Absolute path of the grammar of `language`, resolved from the installed
 * `@repomix/tree-sitter-wasms` package (never relative to the working directory).
 */
export function grammarPath(language: ParsedLanguage): string {
  const pkg = createRequire(import.meta.url).resolve('@repomix/tree-sitter-wasms/package.json');
  return join(dirname(pkg), 'out', `tree-sitter-${WASM_NAMES[language]}.wasm`);
}

let parserInit: Promise<void> | null = null;

/** Initializes the web-tree-sitter runtime once per process. */
function initParserRuntime(): Promise<void> {
  parserInit ??= Parser.init().catch((error: unknown) => {
    parserInit = null;
    throw error;
  });
  return parserInit;
}

/** Options of `TreeSitterChunker` (the line-window options apply to text files and fallbacks). */
export interface TreeSitterChunkerOptions extends LineWindowChunkerOptions {
  /** Parse time limit per file in ms (tree-sitter progress callback). Default 5,000. */
  readonly parseTimeoutMs?: number;
  /** Files longer than this (UTF-16 units) are not parsed but line-windowed. Default 2,000,000. */
  readonly maxParseChars?: number;
  /** Receives a warning for each parse fallback. */
  readonly logger?: Logger;
}

/** Counters since construction, for logs and benchmarks. */
export interface TreeSitterChunkerStats {
  /** Files chunked from a syntax tree. */
  parsed: number;
  /** Files of a parsed language that fell back to line windows (timeout, size, error). */
  fallbacks: number;
  /** Files chunked as text (no grammar for their language). */
  text: number;
  /** Exact `TokenCounter.count` calls (the rest was decided by the estimate). */
  exactCounts: number;
}

/** A line range under consideration: the children of one node, tiled. Lines 0-based, inclusive. */
interface Item {
  start: number;
  end: number;
  /** The one named node the item holds, or null when several statements share its lines. */
  node: Node | null;
}

/** A piece of the final output before merging. */
interface Piece {
  start: number;
  end: number;
  /** Estimated code tokens. */
  est: number;
  /** Estimated tokens of the header for `scope`. */
  headerEst: number;
  /** Estimated tokens of the piece that gives the merged piece its scope. */
  primaryEst: number;
  scope: readonly ScopeEntry[];
  /** A character range of one long line (never merged), or null for whole lines. */
  fragment: readonly [number, number] | null;
}

/** One node being split: its items, the next one to visit, and the pieces made so far. */
interface Frame {
  readonly items: Item[];
  next: number;
  readonly pieces: Piece[];
  readonly scope: readonly ScopeEntry[];
}

/**
 * Chunker for source files: symbol-aware chunks for the 12 `PARSED_LANGUAGES`, line windows for
 * everything else. Grammars and parsers are loaded on first use and cached; trees are deleted
 * after use (wasm memory is not garbage-collected). Deterministic. Not re-entrant across threads
 * (one instance per worker), safe for concurrent `chunk` calls in one thread (parsing is synchronous).
 */
export class TreeSitterChunker implements Chunker {
  readonly version = CHUNKER_VERSION;
  readonly stats: TreeSitterChunkerStats = { parsed: 0, fallbacks: 0, text: 0, exactCounts: 0 };
  private readonly maxTokens: number;
  private readonly minTokens: number;
  private readonly parseTimeoutMs: number;
  private readonly maxParseChars: number;
  private readonly logger: Logger | undefined;
  private readonly budget: TokenBudget;
  private readonly lineChunker: LineWindowChunker;
  private readonly parsers = new Map<ParsedLanguage, Promise<Parser>>();

  /**
   * @param options `tokenCounter` is required (e.g. the embedder's `tokenCounter`, or
   *   `HfTokenizer.fromDirectory(dir)`); `maxTokens` (default 256) bounds `embedText`;
   *   `minTokens` (default 64) is the merge threshold; `windowLines`/`overlapLines` shape line windows.
   */
  constructor(options: TreeSitterChunkerOptions) {
    this.maxTokens = Math.max(1, Math.floor(options.maxTokens ?? DEFAULT_MAX_TOKENS));
    this.minTokens = Math.max(0, Math.floor(options.minTokens ?? DEFAULT_MIN_TOKENS));
    this.parseTimeoutMs = options.parseTimeoutMs ?? DEFAULT_PARSE_TIMEOUT_MS;
    this.maxParseChars = options.maxParseChars ?? DEFAULT_MAX_PARSE_CHARS;
    this.logger = options.logger;
    this.budget = new TokenBudget(options.tokenCounter);
    this.lineChunker = new LineWindowChunker(options);
  }

  /** Loads the grammars of `languages` now (default: all) instead of on first use. */
  async preload(
    languages: readonly ParsedLanguage[] = Object.keys(WASM_NAMES) as ParsedLanguage[],
  ): Promise<void> {
    await Promise.all(languages.map((l) => this.parserFor(l)));
  }

  /**
   * Chunks one file. Blank files give []. Throws `ChunkError` only if even line windows fail.
   */
  async chunk(file: SourceFile): Promise<Chunk[]> {
    try {
      if (!isParsedLanguage(file.language)) {
        this.stats.text++;
        return this.lineChunker.chunkSync(file);
      }
      const lines = new LineIndex(file.text);
      if (lines.firstNonBlank(0, lines.lineCount - 1) < 0) return [];
      let drafts: ChunkDraft[] | null = null;
      if (file.text.length > this.maxParseChars) {
        this.fallback(file, `longer than ${this.maxParseChars} characters`);
      } else {
        try {
          const parser = await this.parserFor(file.language);
          drafts = this.chunkParsed(parser, file, lines);
          if (drafts === null) this.fallback(file, `parse exceeded ${this.parseTimeoutMs} ms`);
          else this.stats.parsed++;
        } catch (error) {
          this.fallback(
            file,
            `tree-sitter failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      drafts ??= this.lineChunker.draftsFor(file.language, lines, 0, lines.lineCount - 1);
      return drafts.map((d, i) => buildChunk(file, d, i));
    } catch (error) {
      throw error instanceof ChunkError
        ? error
        : new ChunkError(file.path, 'cannot be chunked', { cause: error });
    }
  }

  /** Frees the parsers (grammars stay loaded in the runtime). */
  async dispose(): Promise<void> {
    const parsers = [...this.parsers.values()];
    this.parsers.clear();
    for (const p of await Promise.allSettled(parsers)) if (p.status === 'fulfilled') p.value.delete();
  }

  private fallback(file: SourceFile, reason: string): void {
    this.stats.fallbacks++;
    this.logger?.warn('chunker: parse fallback to line windows', {
      path: file.path,
      language: file.language,
      reason,
    });
  }

  private parserFor(language: ParsedLanguage): Promise<Parser> {
    let parser = this.parsers.get(language);
    if (!parser) {
      parser = (async () => {
        await initParserRuntime();
        const lang = await Language.load(grammarPath(language));
        return new Parser().setLanguage(lang);
      })();
      parser.catch(() => this.parsers.delete(language));
      this.parsers.set(language, parser);
    }
    return parser;
  }

  /** Drafts from the syntax tree, or null when the parse timed out. */
  private chunkParsed(parser: Parser, file: SourceFile, lines: LineIndex): ChunkDraft[] | null {
    const deadline = performance.now() + this.parseTimeoutMs;
    parser.reset();
    const tree = parser.parse(file.text, null, { progressCallback: () => performance.now() > deadline });
    if (tree === null) {
      parser.reset();
      return null;
    }
    try {
      // The path part's fixed reserve, whatever the path: boundaries must not depend on the path.
      const pieces = this.split(tree.rootNode, lines, PATH_HEADER_TOKENS);
      return this.toDrafts(pieces, lines);
    } finally {
      tree.delete();
    }
  }

  /** Split-then-merge of the whole file; returns pieces tiling lines 0..lineCount-1. */
  private split(root: Node, lines: LineIndex, pathHeaderEst: number): Piece[] {
    const last = lines.lineCount - 1;
    const headerEsts = new Map<readonly ScopeEntry[], number>();
    const headerEst = (scope: readonly ScopeEntry[]): number => {
      let est = headerEsts.get(scope);
      if (est === undefined) {
        est = scope.length === 0 ? pathHeaderEst : pathHeaderEst + estimateTokens(scopeLabel(scope)) + 2;
        headerEsts.set(scope, est);
      }
      return est;
    };
    const codeBudget = (scope: readonly ScopeEntry[]): number =>
      Math.max(MIN_CODE_BUDGET, this.maxTokens - headerEst(scope));
    const windows = (start: number, end: number, scope: readonly ScopeEntry[], out: Piece[]): void => {
      const h = headerEst(scope);
      for (const w of lineWindows(lines, start, end, {
        budget: codeBudget(scope),
        windowLines: Number.MAX_SAFE_INTEGER,
        overlapLines: 0,
      })) {
        if (w.kind === 'lines') {
          const est = lines.estimate(w.start, w.end);
          out.push({ start: w.start, end: w.end, est, headerEst: h, primaryEst: est, scope, fragment: null });
        } else {
          const est = estimateTokens(lines.text, w.from, w.to);
          out.push({
            start: w.line,
            end: w.line,
            est,
            headerEst: h,
            primaryEst: est,
            scope,
            fragment: [w.from, w.to],
          });
        }
      }
    };

    const rootItems = tileChildren(root, 0, last);
    if (rootItems.length === 0) {
      const out: Piece[] = [];
      windows(0, last, [], out);
      return out;
    }
    let result: Piece[] = [];
    const stack: Frame[] = [{ items: rootItems, next: 0, pieces: [], scope: [] }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.next >= frame.items.length) {
        stack.pop();
        const merged = this.merge(frame.pieces, lines);
        const parent = stack[stack.length - 1];
        if (parent) for (const p of merged) parent.pieces.push(p);
        else result = merged;
        continue;
      }
      const item = frame.items[frame.next++];
      const parentKind = frame.scope.length > 0 ? frame.scope[frame.scope.length - 1].kind : null;
      const sym = item.node ? describeSymbol(item.node, parentKind) : null;
      const scope = sym ? [...frame.scope, { kind: sym.kind, name: sym.name }] : frame.scope;
      const est = lines.estimate(item.start, item.end);
      const budget = codeBudget(scope);
      if (lines.firstNonBlank(item.start, item.end) < 0) {
        // Only possible for an all-blank tail; keep tiling without emitting text.
        frame.pieces.push({
          start: item.start,
          end: item.end,
          est: 0,
          headerEst: headerEst(scope),
          primaryEst: 0,
          scope,
          fragment: null,
        });
        continue;
      }
      const fits = this.budget.fits(() => lines.slice(item.start, item.end), est, budget);
      this.stats.exactCounts = this.budget.exactCounts;
      if (fits) {
        frame.pieces.push({
          start: item.start,
          end: item.end,
          est,
          headerEst: headerEst(scope),
          primaryEst: est,
          scope,
          fragment: null,
        });
        continue;
      }
      const target = sym ? sym.target : item.node;
      const children =
        target !== null && item.start < item.end ? tileChildren(target, item.start, item.end) : [];
      if (children.length === 0) {
        windows(item.start, item.end, scope, frame.pieces);
        continue;
      }
      stack.push({ items: children, next: 0, pieces: [], scope });
    }
    return result;
  }

  /** Greedy merge of neighbouring pieces while one is under `minTokens` and the sum fits. */
  private merge(pieces: readonly Piece[], lines: LineIndex): Piece[] {
    const out: Piece[] = [];
    for (const p of pieces) {
      const prev = out[out.length - 1];
      if (
        prev &&
        prev.fragment === null &&
        p.fragment === null &&
        (prev.est < this.minTokens || p.est < this.minTokens)
      ) {
        const primary = p.primaryEst > prev.primaryEst ? p : prev;
        const est = lines.estimate(prev.start, p.end);
        const headerEst = primary.headerEst;
        if (est + headerEst <= this.maxTokens) {
          out[out.length - 1] = {
            start: prev.start,
            end: p.end,
            est,
            headerEst,
            primaryEst: primary.primaryEst,
            scope: primary.scope,
            fragment: null,
          };
          continue;
        }
      }
      out.push(p);
    }
    return out;
  }

  /** Pieces → drafts: blank edges trimmed, all-blank pieces dropped, lines made 1-based. */
  private toDrafts(pieces: readonly Piece[], lines: LineIndex): ChunkDraft[] {
    const drafts: ChunkDraft[] = [];
    for (const p of pieces) {
      const innermost = p.scope[p.scope.length - 1];
      const meta = {
        symbol: innermost ? innermost.name : null,
        symbolKind: innermost ? innermost.kind : ('block' as const),
        scope: p.scope.length > 0 ? scopeLabel(p.scope) : null,
      };
      if (p.fragment !== null) {
        const code = lines.text.slice(p.fragment[0], p.fragment[1]);
        if (code.trim().length === 0) continue;
        drafts.push({ ...meta, startLine: p.start + 1, endLine: p.start + 1, code });
        continue;
      }
      const start = lines.firstNonBlank(p.start, p.end);
      if (start < 0) continue;
      const end = lines.lastNonBlank(p.start, p.end);
      drafts.push({ ...meta, startLine: start + 1, endLine: end + 1, code: lines.slice(start, end) });
    }
    return drafts;
  }
}

/**
 * Tiles lines `lo..hi` with the children of `node`: one item per named child that starts on a new
 * line; comments/attributes (and blank lines) before a child start that child's item; anonymous
 * tokens on new lines (`}`, `end`) extend the previous item; a named child sharing the previous
 * item's lines makes that item multi-node (`node` null). The first item starts at `lo`, the last
 * ends at `hi`. Returns [] when no named child starts a line in range. Iterates with a TreeCursor.
 */
function tileChildren(node: Node, lo: number, hi: number): Item[] {
  const items: Item[] = [];
  const cursor = node.walk();
  try {
    if (!cursor.gotoFirstChild()) return items;
    let covered = lo - 1;
    do {
      const sr = cursor.startPosition.row;
      let er = cursor.endPosition.row;
      if (er > sr && cursor.endPosition.column === 0) er--;
      if (er > hi) er = hi;
      const named = cursor.nodeIsNamed;
      const trivia = named && isLeadingTrivia(cursor.nodeType);
      const prev = items[items.length - 1];
      if (er <= covered) {
        if (named && !trivia && prev && sr >= prev.start) prev.node = null;
        continue;
      }
      if (trivia) continue;
      if (!named) {
        if (prev) prev.end = er;
        covered = er;
        continue;
      }
      items.push({ start: prev ? prev.end + 1 : lo, end: er, node: cursor.currentNode });
      covered = er;
    } while (cursor.gotoNextSibling());
  } finally {
    cursor.delete();
  }
  const lastItem = items[items.length - 1];
  if (lastItem) lastItem.end = hi;
  return items;
}
