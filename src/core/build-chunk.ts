/**
 * The embedded text of a chunk (a short header, then the code) and the `Chunk` record itself.
 *
 * @module core/build-chunk
 */
import { sha256Hex } from './identity.js';
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
 * Header prepended to the code in `embedText`: `path: <path>\n[scope: <scope>\n]\n`.
 * Short on purpose: it gives the embedder the file and enclosing symbols (as claude-context and
 * continue do) at a cost of ~10–30 tokens.
 */
export function embedHeader(path: string, scope: string | null): string {
  return scope ? `path: ${path}\nscope: ${scope}\n\n` : `path: ${path}\n\n`;
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
    embedText,
    contentHash: sha256Hex(embedText),
    ordinal,
  };
}
