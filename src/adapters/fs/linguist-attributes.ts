/**
 * `.gitattributes` rules for GitHub Linguist's `linguist-generated` and `linguist-vendored`
 * attributes, evaluated with git's precedence.
 *
 * Semantics followed (gitattributes(5), "Description" and "Using macro attributes"; Linguist
 * docs/overrides.md):
 * - A line is `pattern attr1 attr2=value -attr3 !attr4`; `#` starts a comment line.
 *   `attr` / `attr=<anything but "false">` sets it (Linguist treats any value but "false" as true),
 *   `-attr` and `attr=false` unset it, `!attr` makes it unspecified again.
 * - A pattern without a slash matches the file name at any depth below the `.gitattributes` that
 *   holds it; a pattern with a slash is anchored to that directory (a leading `/` is dropped).
 *   Matching uses picomatch with git's wildmatch flavour: `*` stops at `/`, `**` spans folders,
 *   dot files match, no brace or extglob expansion, case-sensitive.
 * - A pattern ending in `/` matches only directories, which attributes never apply to
 *   ("patterns that match a directory do not recursively match paths inside that directory"):
 *   such lines are ignored, as git does. Use `dir/**` instead.
 * - Negative patterns (`!pattern`) are forbidden in attribute files: such lines are ignored.
 * - Precedence: a deeper `.gitattributes` overrides a shallower one; within a file a later line
 *   overrides an earlier one; `$GIT_DIR/info/attributes` overrides them all.
 * - Macros (`[attr]name …`) are not expanded: Linguist reads only the two attributes above.
 *
 * @module adapters/fs/linguist-attributes
 */
import picomatch from 'picomatch';

/** Value of one attribute after a line: true (set), false (unset) or undefined (unspecified, `!attr`). */
type AttributeValue = boolean | undefined;

interface AttributeRule {
  /** Matches a path relative to the rule's base directory. */
  readonly match: (relativePath: string, baseName: string) => boolean;
  readonly generated?: AttributeValue | 'absent';
  readonly vendored?: AttributeValue | 'absent';
}

interface AttributeLevel {
  /** Repo-relative POSIX directory of the `.gitattributes` ('' for the root). */
  readonly base: string;
  readonly rules: readonly AttributeRule[];
}

/** What the attributes say about a file: Linguist's classification, or null when neither is set. */
export type LinguistClass = 'generated' | 'vendored' | null;

const PICOMATCH_OPTIONS = { dot: true, nobrace: true, noextglob: true, nonegate: true } as const;

/** Splits an attribute line into tokens, honouring a double-quoted pattern (C-style escapes kept simple). */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] ?? '')) i++;
    if (i >= line.length) break;
    if (line[i] === '"' && tokens.length === 0) {
      let j = i + 1;
      let token = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        token += line[j];
        j++;
      }
      tokens.push(token);
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && !/\s/.test(line[j] ?? '')) j++;
      tokens.push(line.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

function valueOf(token: string, name: string): AttributeValue | 'absent' {
  if (token === name) return true;
  if (token === `-${name}`) return false;
  if (token === `!${name}`) return undefined;
  if (token.startsWith(`${name}=`)) return token.slice(name.length + 1) !== 'false';
  return 'absent';
}

/**
 * Parses the text of one `.gitattributes` file into the rules that mention a Linguist attribute.
 * Lines about other attributes are dropped (they cannot change the outcome).
 */
function parseRules(text: string): AttributeRule[] {
  const rules: AttributeRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('[attr]')) continue;
    const [pattern, ...attrs] = tokenize(line);
    if (pattern === undefined || pattern === '' || pattern.startsWith('!') || pattern.endsWith('/')) continue;
    let generated: AttributeValue | 'absent' = 'absent';
    let vendored: AttributeValue | 'absent' = 'absent';
    for (const token of attrs) {
      const g = valueOf(token, 'linguist-generated');
      if (g !== 'absent') generated = g;
      const v = valueOf(token, 'linguist-vendored');
      if (v !== 'absent') vendored = v;
    }
    if (generated === 'absent' && vendored === 'absent') continue;
    const anchored = pattern.includes('/');
    const matcher = picomatch(anchored ? pattern.replace(/^\/+/, '') : pattern, PICOMATCH_OPTIONS);
    rules.push({
      match: anchored ? (rel) => matcher(rel) : (_rel, baseName) => matcher(baseName),
      generated,
      vendored,
    });
  }
  return rules;
}

/**
 * The Linguist attributes in force for a directory: an immutable stack of `.gitattributes` levels,
 * from the root (plus `info/attributes`) down to the directory. `withFile` returns a new stack so
 * sibling directories share their ancestors' levels.
 */
export class LinguistAttributes {
  private constructor(
    private readonly levels: readonly AttributeLevel[],
    private readonly infoLevel: AttributeLevel | null,
  ) {}

  /** An empty stack; `infoAttributes` is the text of `$GIT_DIR/info/attributes`, if any. */
  static create(infoAttributes?: string): LinguistAttributes {
    const rules = infoAttributes === undefined ? [] : parseRules(infoAttributes);
    return new LinguistAttributes([], rules.length > 0 ? { base: '', rules } : null);
  }

  /**
   * This stack plus the `.gitattributes` found in directory `base` (repo-relative, '' for the root).
   * Returns `this` when the file mentions no Linguist attribute.
   */
  withFile(base: string, text: string): LinguistAttributes {
    const rules = parseRules(text);
    if (rules.length === 0) return this;
    return new LinguistAttributes([...this.levels, { base, rules }], this.infoLevel);
  }

  /** True when no rule could apply (lets the walker skip the per-file evaluation). */
  get isEmpty(): boolean {
    return this.levels.length === 0 && this.infoLevel === null;
  }

  /**
   * Linguist's verdict for a repo-relative file path: 'vendored' wins over 'generated' when both
   * are set (both are skipped; the reason is only for the count).
   */
  classify(path: string): LinguistClass {
    let generated: AttributeValue = undefined;
    let vendored: AttributeValue = undefined;
    const baseName = path.slice(path.lastIndexOf('/') + 1);
    const levels = this.infoLevel ? [...this.levels, this.infoLevel] : this.levels;
    for (const level of levels) {
      if (level.base !== '' && !path.startsWith(`${level.base}/`)) continue;
      const rel = level.base === '' ? path : path.slice(level.base.length + 1);
      for (const rule of level.rules) {
        if (!rule.match(rel, baseName)) continue;
        if (rule.generated !== 'absent') generated = rule.generated;
        if (rule.vendored !== 'absent') vendored = rule.vendored;
      }
    }
    if (vendored === true) return 'vendored';
    if (generated === true) return 'generated';
    return null;
  }
}
