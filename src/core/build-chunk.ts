/**
 * The embedded text of a chunk (a short header, then the code) and the `Chunk` record itself.
 *
 * @module core/build-chunk
 */
import { sha256Hex } from './identity.js';
import { estimateTokens } from './token-budget.js';
import type { Chunk, SymbolKind } from './types.js';

/** Longest scope line kept in the header, in characters; outer parts are dropped first. */
export const MAX_SCOPE_CHARS = 120;

/** One enclosing symbol, outermost first in a scope path (e.g. class Foo, then method bar). */
export interface ScopeEntry {
  readonly kind: SymbolKind;
  readonly name: string;
}

/**
 * Scope line text: "class Foo > method bar". When longer than `MAX_SCOPE_CHARS`, outer entries are
 * replaced by "…" (the innermost entry is always kept, itself cut to the limit).
 */
export function scopeLabel(scope: readonly ScopeEntry[]): string {
  const parts = scope.map((s) => `${s.kind} ${s.name}`);
  let label = parts.join(' > ');
  while (label.length > MAX_SCOPE_CHARS && parts.length > 1) {
    parts.shift();
    label = `… > ${parts.join(' > ')}`;
  }
  return label.length > MAX_SCOPE_CHARS ? `${label.slice(0, MAX_SCOPE_CHARS - 1)}…` : label;
}

/**
 * Most estimated tokens (`estimateTokens`) of the header's path part, `path: <path>\n\n`, and what
 * every chunker reserves for it whatever the path is: chunk boundaries then do not depend on the
 * path, so the chunks of a renamed file are the chunks it had under its old path with another header,
 * and the pipeline rebuilds them from the store instead of chunking the file again
 * (core/reuse-chunks). A longer path is shortened in the header (`headerPath`).
 * 32 is about the 99th percentile of that estimate over the files of this repository (99th
 * percentile 33, median 19) and of the suite-1 evaluation corpus (99th percentile 32, median 22); on
 * the action benchmark's Go + Python tree (median 25, 90th percentile 38) it shortens 20 % of the
 * paths. Measured 2026-12-01 over every file path of each tree.
 */
export const PATH_HEADER_TOKENS = 32;

/** Estimated tokens of the header's path part for `shown` (see `PATH_HEADER_TOKENS`). */
function pathPartTokens(shown: string): number {
  return estimateTokens(`path: ${shown}\n\n`);
}

/**
 * The path as the header shows it: `path` itself when `path: <path>` fits `PATH_HEADER_TOKENS`;
 * otherwise the leading folders are replaced by `…/`, keeping as many trailing parts as fit (e.g.
 * `…/internal/ssa/rewriteAMD64.go`), and a file name that does not fit alone keeps its end
 * (`…<end of name>`). Depends on `path` only.
 */
export function headerPath(path: string): string {
  if (pathPartTokens(path) <= PATH_HEADER_TOKENS) return path;
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const shown = `…/${parts.slice(i).join('/')}`;
    if (pathPartTokens(shown) <= PATH_HEADER_TOKENS) return shown;
  }
  const name = parts[parts.length - 1] ?? path;
  for (let keep = name.length - 1; keep > 0; keep--) {
    const from = name.length - keep;
    const unit = name.charCodeAt(from);
    if (unit >= 0xdc00 && unit <= 0xdfff) continue; // never start inside a surrogate pair
    const shown = `…${name.slice(from)}`;
    if (pathPartTokens(shown) <= PATH_HEADER_TOKENS) return shown;
  }
  return '…';
}

/**
 * Header prepended to the code in `embedText`: `path: <headerPath(path)>\n[scope: <scope>\n]\n`.
 * Short on purpose: it gives the embedder the file and enclosing symbols (as claude-context and
 * continue do) at a cost of ~10–30 tokens; its path part never takes more than `PATH_HEADER_TOKENS`
 * estimated tokens.
 */
export function embedHeader(path: string, scope: string | null): string {
  const shown = headerPath(path);
  return scope ? `path: ${shown}\nscope: ${scope}\n\n` : `path: ${shown}\n\n`;
}

/** What a chunker knows about one chunk before it is numbered and hashed. */
export interface ChunkDraft {
  readonly symbol: string | null;
  readonly symbolKind: SymbolKind;
  /** Scope line (see `scopeLabel`), or null for none. */
  readonly scope: string | null;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly code: string;
}

/** Builds the `Chunk` of a draft: embedText = header + code, contentHash = sha256Hex(embedText). */
export function buildChunk(
  file: { path: string; language: string },
  draft: ChunkDraft,
  ordinal: number,
): Chunk {
  const embedText = embedHeader(file.path, draft.scope) + draft.code;
  return {
    path: file.path,
    language: file.language,
    symbol: draft.symbol,
    symbolKind: draft.symbolKind,
    startLine: draft.startLine,
    endLine: draft.endLine,
    code: draft.code,
    scope: draft.scope,
    embedText,
    contentHash: sha256Hex(embedText),
    ordinal,
  };
}
