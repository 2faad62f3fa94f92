/**
 * @module app/parse-command — finds and parses the `/search` command in a comment body.
 *
 * Syntax: `/search <query> [--path <folder>] [--lang <language>] [--k <n>] [--mode hybrid|semantic|lexical]
 * [--kind <symbol kind>]`, on a line of its own (other text may come before or after it). `/search help`
 * explains the syntax. Lines inside fenced code blocks and block quotes are not commands: quoting
 * someone's `/search` in a reply must not run it again.
 *
 * The tokenizer is our own rather than a shell-words library because a code query is not a shell
 * line: `$x`, `*`, `|`, `\d` and a lone apostrophe (`don't`) must stay literal. Quotes ("…", '…' or
 * typographic “…”) group words only when they are balanced; a quoted token is never an option, so
 * `"--verbose"` searches for `--verbose`.
 *
 * The repository is never a parameter: `--repo`, `--ref` and the like are refused (tenant isolation,
 * DESIGN.md "Security").
 */
import { detectLanguage } from '../core/languages.js';
import { MAX_QUERY_CHARS } from '../core/search-service.js';
import { SYMBOL_KINDS, type SearchMode, type SymbolKind } from '../core/types.js';
import { codeSpan } from './markdown.js';

/** The command word. */
export const COMMAND = '/search';

/** Results per reply when `--k` is not given. */
export const DEFAULT_APP_K = 5;

/**
 * Most results one reply may show. Lower than the API's `MAX_K`: a comment is read by people and
 * GitHub caps a comment body at 65,536 characters.
 */
export const MAX_APP_K = 20;

/** Longest `--path` value accepted, in characters. */
export const MAX_PATH_CHARS = 512;

/** A search to run. `query` is trimmed and non-empty; every option is validated. */
export interface SearchCommand {
  readonly kind: 'search';
  readonly query: string;
  readonly k: number;
  readonly mode: SearchMode;
  readonly pathPrefix?: string;
  readonly language?: string;
  readonly symbolKind?: SymbolKind;
}

/** `/search help` (or `--help`). */
export interface HelpCommand {
  readonly kind: 'help';
}

/**
 * A `/search` line that cannot be run: `message` says what is wrong, `hint` how to fix it. Both are
 * Markdown; any user text in them is already escaped (code spans).
 */
export interface InvalidCommand {
  readonly kind: 'invalid';
  readonly message: string;
  readonly hint?: string;
}

/** What a comment asks for. */
export type ParsedCommand = SearchCommand | HelpCommand | InvalidCommand;

/** Options that would choose another tenant or ref: refused, never honoured. */
const SCOPE_OPTIONS = new Set([
  'repo',
  'repository',
  'org',
  'owner',
  'ref',
  'branch',
  'tag',
  'commit',
  'sha',
]);

const MODES: readonly SearchMode[] = ['hybrid', 'semantic', 'lexical'];

/** Opening quote → closing quote. */
const QUOTES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\u201c': '\u201d',
  '\u2018': '\u2019',
};

/** One word of the command line; `quoted` words are never options. */
interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

/**
 * The text after `/search` on the first command line of `body`, or null when the body has no command.
 * Linear in the body length (no backtracking regex over user input).
 */
export function findCommandLine(body: string): string | null {
  let fence: { char: string; length: number } | null = null;
  for (const raw of body.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trimStart();
    const indent = line.length - trimmed.length;
    const fenceRun = indent <= 3 ? leadingRun(trimmed) : null;
    if (fence) {
      if (
        fenceRun &&
        fenceRun.char === fence.char &&
        fenceRun.length >= fence.length &&
        trimmed.slice(fenceRun.length).trim() === ''
      ) {
        fence = null;
      }
      continue;
    }
    if (fenceRun) {
      fence = fenceRun;
      continue;
    }
    if (!trimmed.startsWith(COMMAND)) continue;
    const rest = trimmed.slice(COMMAND.length);
    if (rest.length > 0 && !/^\s/.test(rest)) continue; // "/searching" is not the command
    return rest.trim();
  }
  return null;
}

/** A run of three or more backticks or tildes at the start of `s` (a code fence), or null. */
function leadingRun(s: string): { char: string; length: number } | null {
  const char = s[0];
  if (char !== '`' && char !== '~') return null;
  let n = 0;
  while (s[n] === char) n++;
  return n >= 3 ? { char, length: n } : null;
}

/** Splits a command line into words; balanced quotes group words (see the module comment). */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    const open = line[i];
    const close = QUOTES[open];
    if (close !== undefined) {
      const end = line.indexOf(close, i + 1);
      if (end > i) {
        tokens.push({ text: line.slice(i + 1, end), quoted: true });
        i = end + 1;
        continue;
      }
    }
    let j = i;
    while (j < line.length && !/\s/.test(line[j])) j++;
    tokens.push({ text: line.slice(i, j), quoted: false });
    i = j;
  }
  return tokens;
}

/**
 * Normalises a `--lang` value: a file extension ("ts", "py") becomes the language id codeidx stores
 * ("typescript", "python"); a language id is kept. Null when the value is not a plausible language.
 */
export function normalizeLanguage(value: string): string | null {
  const v = value.trim().toLowerCase().replace(/^\./, '');
  if (!/^[a-z0-9+#_-]{1,32}$/.test(v)) return null;
  return detectLanguage(`file.${v}`) ?? v;
}

/** Normalises a `--path` value ("./src/" → "src"), or null when it is not a repo-relative path. */
export function normalizePath(value: string): string | null {
  if (value.length === 0 || value.length > MAX_PATH_CHARS) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  const p = value
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  if (p.split('/').some((part) => part === '..')) return null;
  return p;
}

const HELP_HINT = 'comment `/search help` for the syntax';

/**
 * Parses the `/search` command of a comment body.
 * @returns null when the body has no `/search` line (the comment is not for us), else the command,
 *   `help`, or `invalid` with a message for the user. Never throws.
 */
export function parseCommand(body: string): ParsedCommand | null {
  const line = findCommandLine(body);
  if (line === null) return null;
  // Flags and a maximal query fit well under this; anything longer is a pasted blob, not a query.
  if (line.length > MAX_QUERY_CHARS + 1_000) {
    return {
      kind: 'invalid',
      message: `the command is ${line.length.toLocaleString('en-US')} characters long; a query may have at most ${MAX_QUERY_CHARS.toLocaleString('en-US')}`,
      hint: 'search for the few words or identifiers that matter',
    };
  }
  const tokens = tokenize(line);
  if (tokens.length === 1 && !tokens[0].quoted && ['help', '--help', '-h'].includes(tokens[0].text)) {
    return { kind: 'help' };
  }

  const words: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.quoted || !token.text.startsWith('--') || token.text === '--') {
      words.push(token.text);
      continue;
    }
    const eq = token.text.indexOf('=');
    const name = (eq === -1 ? token.text.slice(2) : token.text.slice(2, eq)).toLowerCase();
    if (name === 'help') return { kind: 'help' };
    if (SCOPE_OPTIONS.has(name)) {
      return {
        kind: 'invalid',
        message: `\`--${name}\` is not accepted: \`/search\` searches only this repository, at the branch of this pull request or the default branch`,
        hint: 'to search another repository, comment there (or use the codeidx search API with a token for it)',
      };
    }
    if (!['path', 'lang', 'language', 'k', 'mode', 'kind'].includes(name)) {
      return {
        kind: 'invalid',
        message: `unknown option ${codeSpan(`--${truncate(name, 40)}`)}`,
        hint: `${HELP_HINT}; quote it (${codeSpan(`"--${truncate(name, 40)}"`)}) to search for it`,
      };
    }
    let value: string | undefined;
    if (eq !== -1) value = token.text.slice(eq + 1);
    else if (i + 1 < tokens.length) value = tokens[++i].text;
    if (value === undefined || value.length === 0) {
      return { kind: 'invalid', message: `\`--${name}\` needs a value`, hint: HELP_HINT };
    }
    options.set(name === 'language' ? 'lang' : name, value);
  }

  const query = words.join(' ').trim();
  if (query.length === 0) {
    return {
      kind: 'invalid',
      message: 'the query is empty',
      hint: 'write what to look for after `/search`, e.g. `/search parse config --path src/`',
    };
  }
  if (query.length > MAX_QUERY_CHARS) {
    return {
      kind: 'invalid',
      message: `the query is ${query.length.toLocaleString('en-US')} characters long; the limit is ${MAX_QUERY_CHARS.toLocaleString('en-US')}`,
      hint: 'search for the few words or identifiers that matter',
    };
  }

  let k = DEFAULT_APP_K;
  const kText = options.get('k');
  if (kText !== undefined) {
    k = /^\d{1,3}$/.test(kText) ? Number(kText) : Number.NaN;
    if (!Number.isInteger(k) || k < 1 || k > MAX_APP_K) {
      return {
        kind: 'invalid',
        message: `\`--k\` must be a whole number from 1 to ${MAX_APP_K}, got ${codeSpan(truncate(kText, 20))}`,
      };
    }
  }
  let mode: SearchMode = 'hybrid';
  const modeText = options.get('mode');
  if (modeText !== undefined) {
    const m = MODES.find((x) => x === modeText.toLowerCase());
    if (!m)
      return {
        kind: 'invalid',
        message: `\`--mode\` must be one of ${MODES.join(', ')}, got ${codeSpan(truncate(modeText, 20))}`,
      };
    mode = m;
  }
  const out: { -readonly [K in keyof SearchCommand]: SearchCommand[K] } = { kind: 'search', query, k, mode };
  const pathText = options.get('path');
  if (pathText !== undefined) {
    const p = normalizePath(pathText);
    if (p === null)
      return {
        kind: 'invalid',
        message: '`--path` must be a folder or file of this repository, e.g. `src/` (no `..`)',
      };
    if (p.length > 0) out.pathPrefix = p;
  }
  const langText = options.get('lang');
  if (langText !== undefined) {
    const l = normalizeLanguage(langText);
    if (l === null)
      return {
        kind: 'invalid',
        message: `\`--lang\` must be a language or file extension, e.g. \`ts\`, \`python\`, got ${codeSpan(truncate(langText, 20))}`,
      };
    out.language = l;
  }
  const kindText = options.get('kind');
  if (kindText !== undefined) {
    const sk = SYMBOL_KINDS.find((x) => x === kindText.toLowerCase());
    if (!sk) return { kind: 'invalid', message: `\`--kind\` must be one of ${SYMBOL_KINDS.join(', ')}` };
    out.symbolKind = sk;
  }
  return out;
}

/** `s` cut to `max` characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
