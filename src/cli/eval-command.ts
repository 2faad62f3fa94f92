/**
 * @module cli/eval-command — `codeidx eval <suite.jsonl> --source <dir>`: retrieval quality of every
 * model and search mode on a suite of queries with known answers (see src/eval/run-eval.ts).
 *
 * The lead wires it with one line in `buildProgram` (src/cli/main.ts):
 *   registerEvalCommand(program, io, result);
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { hybridFusionSchema } from '../adapters/hf/model-resolver.js';
import { OnnxEmbedder } from '../adapters/onnx/onnx-embedder.js';
import { BUILTIN_MODEL_ID, resolveBuiltinModel } from '../adapters/static-model/builtin-model.js';
import { ConfigError } from '../core/errors.js';
import type { FusionWeights } from '../core/fusion.js';
import type { Embedder } from '../core/ports.js';
import type { SearchMode } from '../core/types.js';
import { parseEvalSuite } from '../eval/eval-suite.js';
import { formatEvalTable, runEval } from '../eval/run-eval.js';
import { createStderrLogger } from './stderr-logger.js';
import { createChunker, NO_MODEL, openEmbedder } from './wiring.js';

/** The part of the CLI's io the command uses (a `CliIo` fits). */
export interface EvalCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

interface EvalFlags {
  source: string;
  model: string[];
  mode: SearchMode[];
  repo?: string;
  exclude?: string[];
  json?: boolean;
  out?: string;
  perQuery?: boolean;
  device: 'auto' | 'cpu' | 'cuda';
  threads?: number;
  quiet?: boolean;
  rrfK?: number[];
  rrfWeights?: FusionWeights[];
}

const MODES: readonly SearchMode[] = ['lexical', 'semantic', 'hybrid'];

/**
 * Opens a model for the eval: "none" → null (lexical only), "codeidx-static" → the built-in model
 * (checksum verified), anything else → `openEmbedder` (registry id or model directory; explicit, so an
 * unavailable model is an error rather than a silent lexical fallback).
 */
export async function openEvalEmbedder(
  spec: string,
  options: { device: 'auto' | 'cpu' | 'cuda'; threads?: number; logger: ReturnType<typeof createStderrLogger> },
): Promise<Embedder | null> {
  if (spec === NO_MODEL) return null;
  const threads = options.threads !== undefined ? { intraOpThreads: options.threads } : {};
  if (spec === BUILTIN_MODEL_ID) {
    return OnnxEmbedder.create(await resolveBuiltinModel(), { device: options.device, logger: options.logger, ...threads });
  }
  return openEmbedder({ model: spec, explicit: true, device: options.device, logger: options.logger, ...(options.threads !== undefined ? { threads: options.threads } : {}) });
}

/** `--rrf-k`: an integer 0..1000, as `fusion.k` of codeidx-model.json (`hybridFusionSchema`). */
function parseRrfK(value: string): number {
  const k = hybridFusionSchema.shape.k.safeParse(Number(value));
  if (!k.success) throw new ConfigError(`--rrf-k must be an integer from 0 to 1000, got "${value}"`);
  return k.data;
}

/** `--rrf-weights semantic,lexical`: two numbers above 0 (at most 100), as `fusion.weights` of codeidx-model.json. */
function parseRrfWeights(value: string): FusionWeights {
  const parts = value.split(',').map((p) => Number(p.trim()));
  const weights = hybridFusionSchema.shape.weights.safeParse({ semantic: parts[0], lexical: parts[1] });
  if (parts.length !== 2 || !weights.success) {
    throw new ConfigError(`--rrf-weights must be two numbers above 0 (at most 100), semantic then lexical, e.g. 1,0.5; got "${value}"`);
  }
  return weights.data;
}

/** A commander parser of a variadic option that parses each value and collects them. */
function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

/** Every combination of the given k values and weights (an absent list keeps the model's). */
function fusionGrid(ks: readonly number[] | undefined, weights: readonly FusionWeights[] | undefined): Array<{ k?: number; weights?: FusionWeights }> {
  const kOptions: Array<number | undefined> = ks && ks.length > 0 ? [...ks] : [undefined];
  const wOptions: Array<FusionWeights | undefined> = weights && weights.length > 0 ? [...weights] : [undefined];
  return kOptions.flatMap((k) => wOptions.map((w) => ({ ...(k !== undefined ? { k } : {}), ...(w !== undefined ? { weights: w } : {}) })));
}

/**
 * Adds `eval` to `program`. The action stores its exit code in `result.code` (0 ok); errors are thrown
 * to `main`'s handler (ConfigError for a bad suite → exit 2).
 */
export function registerEvalCommand(program: Command, io: EvalCommandIo, result: { code: number }): Command {
  return program
    .command('eval')
    .description('measure retrieval quality (MRR@10, Recall@1/5/10, nDCG@10) per model and mode on a JSONL suite')
    .argument('<suite>', 'JSONL: one {"query", "relevant": [{path, startLine?, endLine?, symbol?, repo?}]} per line')
    .requiredOption('--source <dir>', 'the tree the suite is about (indexed into a temporary store)')
    .option('--model <model...>', `models to compare: ${BUILTIN_MODEL_ID}, none, a registry id or a model folder`, [BUILTIN_MODEL_ID, NO_MODEL])
    .addOption(new Option('--mode <mode...>', 'modes to run').choices([...MODES]).default([...MODES]))
    .option('--repo <owner/name>', 'repository name of the index (matched against relevant[].repo)')
    .option('--exclude <glob...>', 'files of --source not to index')
    .addOption(new Option('--device <device>', 'execution provider').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--threads <n>', 'onnxruntime intra-op threads', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new ConfigError('--threads must be a positive integer');
      return n;
    })
    .option('--rrf-k <n...>', "hybrid mode's RRF constant k instead of the model's (codeidx-model.json `fusion`, default 60); several: one hybrid run each", collect(parseRrfK))
    .option('--rrf-weights <semantic,lexical...>', "hybrid mode's weights of the kNN and BM25 lists instead of the model's, e.g. 1,0.5; several: one hybrid run each (with every --rrf-k)", collect(parseRrfWeights))
    .option('--per-query', 'include the rank of each query in the JSON')
    .option('--json', 'print the report as JSON instead of a table')
    .option('--out <file>', 'also write the JSON report to this file')
    .option('-q, --quiet', 'warnings only')
    .action(async (suiteArg: string, flags: EvalFlags) => {
      const suitePath = resolve(io.cwd, suiteArg);
      const source = resolve(io.cwd, flags.source);
      if (!existsSync(suitePath)) throw new ConfigError(`suite ${suitePath} does not exist`);
      if (!existsSync(source) || !statSync(source).isDirectory()) throw new ConfigError(`--source ${source} is not a directory`);
      const queries = parseEvalSuite(readFileSync(suitePath, 'utf8'), suiteArg);
      const logger = createStderrLogger(flags.quiet || flags.json ? 'warn' : 'info', io.stderr);
      const report = await runEval(
        {
          suite: suiteArg,
          queries,
          source,
          models: flags.model,
          modes: flags.mode,
          ...(flags.repo ? { repo: flags.repo } : {}),
          ...(flags.exclude ? { exclude: flags.exclude } : {}),
          perQuery: flags.perQuery === true,
          ...(flags.rrfK || flags.rrfWeights ? { fusions: fusionGrid(flags.rrfK, flags.rrfWeights) } : {}),
        },
        {
          logger,
          openEmbedder: (spec) => openEvalEmbedder(spec, { device: flags.device, logger, ...(flags.threads !== undefined ? { threads: flags.threads } : {}) }),
          createChunker: (embedder) => createChunker(embedder, logger),
        },
      );
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (flags.out) writeFileSync(resolve(io.cwd, flags.out), json);
      io.stdout(flags.json ? json : formatEvalTable(report));
      result.code = 0;
    });
}
