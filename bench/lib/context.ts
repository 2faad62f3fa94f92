/**
 * Shared state of one harness run: options, the corpus listing, and a seeded workspace (a git copy of
 * the corpus with a store and an embedding cache filled for the synthetic MiniLM model's space),
 * each built at most once and only when a selected benchmark asks for it.
 *
 * @module bench/lib/context
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { createStderrLogger } from '../../src/cli/stderr-logger.js';
import { createChunker, openEmbeddingCache, openStore, spaceOf, storeFileName } from '../../src/cli/wiring.js';
import { indexTree, type IndexReport } from '../../src/core/index-pipeline.js';
import type { Logger } from '../../src/core/ports.js';
import type { RefScope } from '../../src/core/types.js';
import { ensureSyntheticModel } from '../../scripts/make-synthetic-model.js';
import { copyFiles, initGitRepo, listCorpus, requireCorpus, spread } from './go-corpus.js';
import { SeedEmbedder } from './seed-embedder.js';

/** Options of a run, parsed from the command line. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly goSrc: string;
  /** onnxruntime intra-op threads for every embedder (codeidx and transformers.js alike). */
  readonly threads: number;
  /** Scratch folder of this run (removed at the end unless --keep). */
  readonly workDir: string;
  readonly repoRoot: string;
  readonly log: (line: string) => void;
  /** Also time a warm `codeidx index --full` pass in the re-index benchmark. */
  readonly fullPass: boolean;
}

/** A git copy of the corpus, indexed once (seeded) for the synthetic MiniLM space. */
export interface Workspace {
  /** Root of the git working tree. */
  readonly dir: string;
  readonly files: string[];
  readonly scope: RefScope;
  readonly dataDir: string;
  readonly storePath: string;
  readonly cachePath: string;
  readonly seedReport: IndexReport;
  readonly seedMs: number;
}

/**
 * Files of the workspace in a full run: above the 2,000 of the re-index target, and enough chunks
 * (~30 per Go file) for the ≥ 50,000-chunk query store, while seeding stays in minutes.
 */
export const WORKSPACE_FILES = 2500;

/** Scope under which every benchmark indexes the copy (passed to the CLI as --repo/--ref). */
export const BENCH_SCOPE: RefScope = { repo: 'golang/go', ref: 'refs/heads/main' };

/** Lazily built shared state. */
export class BenchContext {
  readonly logger: Logger = createStderrLogger('warn');
  private corpusPromise: Promise<string[]> | null = null;
  private workspacePromise: Promise<Workspace> | null = null;

  constructor(readonly options: BenchOptions) {}

  /** Directory of the synthetic all-MiniLM-L6-v2-architecture model (generated when missing). */
  get minilmDir(): string {
    return ensureSyntheticModel('minilm');
  }

  /** Corpus files (repo-relative) as the pipeline's reader lists them; 300 spread files with --quick. */
  corpus(): Promise<string[]> {
    this.corpusPromise ??= (async () => {
      requireCorpus(this.options.goSrc);
      const all = await listCorpus(this.options.goSrc);
      return this.options.quick ? spread(all, 300) : all;
    })();
    return this.corpusPromise;
  }

  /** The seeded workspace (built on first call): 2,500 spread corpus files (300 with --quick). */
  workspace(): Promise<Workspace> {
    this.workspacePromise ??= this.buildWorkspace();
    return this.workspacePromise;
  }

  private async buildWorkspace(): Promise<Workspace> {
    const files = spread(await this.corpus(), this.options.quick ? 300 : WORKSPACE_FILES);
    const dir = join(this.options.workDir, 'go-src');
    this.options.log(`workspace: copying ${files.length} files into a git repository at ${dir} ...`);
    mkdirSync(dir, { recursive: true });
    copyFiles(this.options.goSrc, dir, files);
    initGitRepo(dir, 'Go standard library (codeidx benchmark copy)');
    const dataDir = join(this.options.workDir, 'data');
    const cachePath = join(this.options.workDir, 'embeddings.db');
    const seed = await SeedEmbedder.forModelDir(this.minilmDir);
    const space = spaceOf(seed);
    const storePath = join(dataDir, storeFileName(space));
    this.options.log(`workspace: seeding store and cache for ${seed.info.id} (pseudo-random vectors) ...`);
    const t0 = performance.now();
    const reader = await openSourceReader(dir);
    const store = await openStore(storePath, space, this.logger);
    const cache = await openEmbeddingCache(cachePath, this.logger);
    let seedReport: IndexReport;
    try {
      seedReport = await indexTree(
        { reader, chunker: createChunker(seed, this.logger), embedder: seed, cache, store, logger: this.logger },
        { scope: BENCH_SCOPE, commit: await reader.headCommit(), planSource: 'scan' },
      );
    } finally {
      await cache.close();
      await store.close();
    }
    const seedMs = performance.now() - t0;
    this.options.log(
      `workspace: ${seedReport.counts.filesIndexed} files, ${seedReport.counts.chunks} chunks seeded in ${(seedMs / 1000).toFixed(1)} s`,
    );
    return { dir, files, scope: BENCH_SCOPE, dataDir, storePath, cachePath, seedReport, seedMs };
  }
}
