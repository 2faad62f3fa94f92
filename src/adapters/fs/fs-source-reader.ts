/**
 * `SourceReader` for a plain directory (no git): lists with the shared walker, reads files, and
 * has no commits — `headCommit`, `currentRef` and `diff` return null, so the pipeline plans from
 * a full scan compared by content hash.
 *
 * @module adapters/fs/fs-source-reader
 */
import { DEFAULT_MAX_FILE_BYTES } from '../../core/file-filter.js';
import type { FileChange, FileListing, ListOptions, SourceReader } from '../../core/ports.js';
import { readTreeFile, resolveTreeRoot } from './read-tree-file.js';
import { walkTree, type WalkOptions } from './walk-tree.js';

/** Options of a source reader: the walk options (size limit, include/exclude globs, skipped folders). */
export type SourceReaderOptions = Omit<WalkOptions, 'gitCommonDir' | 'skipNestedRepositories'>;

/** Reads a plain directory. Create it with `FsSourceReader.open` (resolves the root's real path). */
export class FsSourceReader implements SourceReader {
  private constructor(
    /** Absolute path of the tree's root, as given (resolved against the current directory). */
    readonly root: string,
    private readonly realRoot: string,
    private readonly options: SourceReaderOptions,
  ) {}

  /** A reader for directory `root`. Throws `ConfigError` when it does not exist or is not a directory. */
  static async open(root: string, options: SourceReaderOptions = {}): Promise<FsSourceReader> {
    const { root: absolute, realRoot } = await resolveTreeRoot(root);
    return new FsSourceReader(absolute, realRoot, options);
  }

  /** Always null: a plain directory has no commits. */
  headCommit(): Promise<string | null> {
    return Promise.resolve(null);
  }

  /** Always null: a plain directory has no branch. */
  currentRef(): Promise<string | null> {
    return Promise.resolve(null);
  }

  /** See `walkTree`; nested repositories are walked like any folder (their .gitignore files apply). */
  listFiles(options: ListOptions = {}): Promise<FileListing> {
    return walkTree(this.realRoot, { ...this.options, statSizes: options.sizes ?? true });
  }

  /**
   * Raw bytes; throws `ConfigError` for a path outside the tree and `FileTooLargeError` above
   * `maxFileBytes` (see `readTreeFile`).
   */
  readFile(path: string): Promise<Uint8Array> {
    return readTreeFile(this.realRoot, path, this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  }

  /** Always null: no history to diff, the caller falls back to a full scan. */
  diff(_base: string, _head: string): Promise<FileChange[] | null> {
    return Promise.resolve(null);
  }
}
