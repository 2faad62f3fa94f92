/**
 * The content filter: decides from a file's path and raw bytes whether it is indexed, and if so
 * decodes it into a `SourceFile`. Pure (no I/O); the walker has already applied the path rules
 * (ignore files, vendor folders, `.gitattributes`, size from `stat`).
 *
 * Checks, in order (the first that applies gives the skip reason):
 *  1. 'too-large'    — more than `maxFileBytes` bytes (default `DEFAULT_MAX_FILE_BYTES`).
 *  2. 'lockfile'     — a dependency lock file, by name (`LOCK_FILE_NAMES`).
 *  3. 'binary'       — a known binary extension (`BINARY_EXTENSIONS`).
 *  4. 'minified'     — `*.min.js`, `*.min.css`, `*-min.js`… by name.
 *  5. 'empty'        — no bytes, or only whitespace after the BOM.
 *  6. 'binary'       — a NUL byte in the first `BINARY_SNIFF_BYTES` bytes (git's own test).
 *  7. 'invalid-utf8' — not valid UTF-8 (a UTF-8 BOM is stripped; UTF-16 files have NULs → 6).
 *  8. 'generated'    — a generated-code marker in the first `GENERATED_HEADER_LINES` lines.
 *  9. 'minified'     — average line length above `MINIFIED_AVERAGE_LINE_LENGTH` (code and data
 *                      only; prose such as Markdown often keeps a paragraph on one line).
 * 10. 'long-lines'   — one line longer than `MAX_LINE_LENGTH` in an otherwise normal file.
 * Otherwise 'ok', with `detectLanguage(path) ?? 'text'` and `fileHash` = sha256 of the raw bytes.
 *
 * @module core/file-filter
 */
import { sha256Hex } from './identity.js';
import { detectLanguage } from './languages.js';
import type { SkipReason, SourceFile } from './types.js';

/** Default size limit, 1 MiB: beyond it a "source" file is almost always data or a bundle. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/**
 * Version of the rules of `classifyFile`. Bump it with any change that can turn a verdict: index
 * states record skips under it (`IndexState.contentSkips`), and a diff-planned run carries a skip
 * over unread only when it was recorded under the same version.
 */
export const FILE_FILTER_VERSION = 1;

/**
 * Bytes examined for a NUL byte: 8000, as git's `buffer_is_binary` (xdiff-interface.c,
 * `FIRST_FEW_BYTES`), so codeidx calls binary what `git diff` calls binary.
 */
export const BINARY_SNIFF_BYTES = 8000;

/**
 * A line longer than this many characters (UTF-16 code units) skips the file as 'long-lines':
 * 20,000. Hand-written code stays far below (style guides cap lines at 80–120); such a line is an
 * embedded blob (base64, a data URI, a serialized table) that no chunk of a few hundred tokens can
 * hold, and splitting it mid-line gives chunks nobody searches for.
 */
export const MAX_LINE_LENGTH = 20_000;

/**
 * Average characters per line above which a code or data file is 'minified': 500. GitHub Linguist
 * uses 110 for `.js`/`.css` (`Generated#minified_files?`); codeidx applies the test to every
 * non-prose language, so it takes a margin that no formatted source reaches (even long-line
 * JSON fixtures or SQL dumps with one statement per line average well below 500).
 */
export const MINIFIED_AVERAGE_LINE_LENGTH = 500;

/**
 * Lines searched for a generated-code marker: 40, enough for a license header above the marker
 * (Go requires the marker "before the first non-comment, non-blank text", golang.org/s/generatedcode).
 */
export const GENERATED_HEADER_LINES = 40;

/**
 * Dependency lock files: machine-written, large, and never what a code search is for
 * (npm, Yarn, pnpm, Bun, Deno, Cargo, Go, Poetry, Pipenv, PDM, uv, Bundler, Composer, Mix,
 * CocoaPods, Swift PM, pub, NuGet, Gradle, Nix, conda-lock).
 */
export const LOCK_FILE_NAMES: ReadonlySet<string> = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'bun.lock',
  'deno.lock',
  'Cargo.lock',
  'go.sum',
  'go.work.sum',
  'poetry.lock',
  'Pipfile.lock',
  'pdm.lock',
  'uv.lock',
  'Gemfile.lock',
  'composer.lock',
  'mix.lock',
  'Podfile.lock',
  'Package.resolved',
  'pubspec.lock',
  'packages.lock.json',
  'gradle.lockfile',
  'flake.lock',
  'conda-lock.yml',
]);

/**
 * Extensions of formats that are binary by definition (images, archives, compiled objects, fonts,
 * media, databases, model weights); skipped without looking at the bytes. Lowercase, no dot.
 */
export const BINARY_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'png jpg jpeg gif bmp ico icns webp tif tiff psd ai heic avif ' +
    'pdf doc docx xls xlsx ppt pptx odt ods odp ' +
    'zip gz tgz bz2 xz zst 7z rar tar lz4 jar war ear aar apk ipa dmg iso deb rpm whl egg nupkg gem ' +
    'class o obj a lib so dylib dll exe bin elf wasm pyc pyo pyd beam ' +
    'woff woff2 ttf otf eot ' +
    'mp3 mp4 m4a wav ogg oga flac aac avi mov mkv webm wmv flv ' +
    'sqlite sqlite3 db mdb ' +
    'npy npz pkl pickle onnx pt pth ckpt safetensors h5 hdf5 tflite pb parquet avro orc ' +
    'swf fla blend fbx glb'
  ).split(' '),
);

/** Prose languages exempt from the average-line-length test (paragraphs are often one line). */
const PROSE_LANGUAGES: ReadonlySet<string> = new Set(['markdown', 'text', 'rst', 'asciidoc']);

/** `name.min.js`, `name-min.css`, `name.min.mjs`… */
const MINIFIED_NAME = /[.-]min\.(?:js|mjs|cjs|css)$/i;

/** Go's rule, verbatim (golang.org/s/generatedcode): the whole line must match. */
const GO_GENERATED = /^\/\/ Code generated .* DO NOT EDIT\.$/;

/**
 * A comment line carrying a generator's marker: Facebook's `@generated` tag (also used by Relay,
 * Buck, Rust's cargo tooling), C#'s `<auto-generated>`, or "generated … do not edit" on one line
 * (protoc for Python/C++, Thrift, many templates). Only comment lines are examined, so code that
 * merely mentions the words is not skipped.
 */
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*|#|--|<!--|;|%|'|\{-|\(\*)/;
const GENERATED_MARKERS = [/@generated\b/, /<auto-generated\b/i, /\bgenerated\b.*\bdo not edit\b/i];

/** Options of `classifyFile`. */
export interface FileFilterOptions {
  /** Bytes above which a file is 'too-large'. Default `DEFAULT_MAX_FILE_BYTES`. */
  readonly maxFileBytes?: number;
}

/** The outcome of classifying one file. `detail` says why, for logs ("line 3 has 100000 characters"). */
export type FileClassification =
  | { readonly kind: 'ok'; readonly file: SourceFile }
  | { readonly kind: 'skip'; readonly reason: SkipReason; readonly detail: string };

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The skip reason that follows from the path alone ('lockfile', 'binary' by extension,
 * 'minified' by name), or null. Lets a caller skip a file without reading it.
 */
export function classifyPath(path: string): { reason: SkipReason; detail: string } | null {
  const name = baseName(path);
  if (LOCK_FILE_NAMES.has(name)) return { reason: 'lockfile', detail: `${name} is a dependency lock file` };
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (BINARY_EXTENSIONS.has(extension))
    return { reason: 'binary', detail: `.${extension} is a binary format` };
  if (MINIFIED_NAME.test(name)) return { reason: 'minified', detail: 'minified file name' };
  return null;
}

/** Whether the text has a generated-code marker in its first `GENERATED_HEADER_LINES` lines. */
function generatedMarker(lines: readonly string[]): string | null {
  const limit = Math.min(lines.length, GENERATED_HEADER_LINES);
  for (let i = 0; i < limit; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (GO_GENERATED.test(line)) return `line ${i + 1}: ${line}`;
    if (COMMENT_LINE.test(line) && GENERATED_MARKERS.some((marker) => marker.test(line)))
      return `line ${i + 1}: ${line.trim()}`;
  }
  return null;
}

const skip = (reason: SkipReason, detail: string): FileClassification => ({ kind: 'skip', reason, detail });

/**
 * Classifies a file from its repo-relative POSIX `path` and raw `bytes` (see the module comment
 * for the checks and their order). Never throws for any content.
 */
export function classifyFile(
  path: string,
  bytes: Uint8Array,
  options: FileFilterOptions = {},
): FileClassification {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (bytes.length > maxFileBytes) return skip('too-large', `${bytes.length} bytes > ${maxFileBytes}`);
  const byPath = classifyPath(path);
  if (byPath) return skip(byPath.reason, byPath.detail);
  if (bytes.length === 0) return skip('empty', 'no bytes');
  const sniff = Math.min(bytes.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < sniff; i++) {
    if (bytes[i] === 0) return skip('binary', `NUL byte at offset ${i}`);
  }
  let text: string;
  try {
    // fatal: reject malformed input instead of inserting U+FFFD; ignoreBOM false: strip a UTF-8 BOM.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return skip('invalid-utf8', 'not valid UTF-8');
  }
  if (text.trim() === '') return skip('empty', 'only whitespace');

  const lines = text.split('\n');
  const marker = generatedMarker(lines);
  if (marker) return skip('generated', marker);

  const language = detectLanguage(path) ?? 'text';
  let longest = 0;
  let longestLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const length = lines[i].length;
    if (length > longest) {
      longest = length;
      longestLine = i + 1;
    }
  }
  // A trailing newline leaves an empty last element: it is not a line.
  const lineCount = lines.length - (lines[lines.length - 1] === '' ? 1 : 0);
  const average = text.length / Math.max(1, lineCount);
  if (!PROSE_LANGUAGES.has(language) && average > MINIFIED_AVERAGE_LINE_LENGTH) {
    return skip('minified', `average line length ${Math.round(average)} > ${MINIFIED_AVERAGE_LINE_LENGTH}`);
  }
  if (longest > MAX_LINE_LENGTH) {
    return skip('long-lines', `line ${longestLine} has ${longest} characters > ${MAX_LINE_LENGTH}`);
  }
  return { kind: 'ok', file: { path, language, text, fileHash: sha256Hex(bytes) } };
}
