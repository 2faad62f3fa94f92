/**
 * Benchmark `embed`: `OnnxEmbedder` vs @huggingface/transformers' feature-extraction pipeline on the
 * same synthetic all-MiniLM-L6-v2-architecture ONNX file, the same real chunks of the Go standard
 * library, the same onnxruntime-node session settings (intra-op threads, 1 inter-op thread,
 * sequential, all graph optimisations), fp32, mean pooling + L2 normalisation. Runs alternate
 * (codeidx, transformers, …) in rounds within one process, so both sides see the same machine load;
 * the median round is reported.
 *
 * Tokens counted: real tokens with [CLS]/[SEP], no padding. Only chunks of at most the model's
 * max tokens (256) are used, so both libraries see exactly the same tokens (no truncation).
 *
 * @module bench/suites/embed
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelDirectory } from '../../src/adapters/hf/model-resolver.js';
import { DEFAULT_MAX_BATCH_TOKENS, OnnxEmbedder } from '../../src/adapters/onnx/onnx-embedder.js';
import { HfTokenizer } from '../../src/adapters/tokenizer/hf-tokenizer.js';
import { createChunker } from '../../src/cli/wiring.js';
import { classifyFile } from '../../src/core/file-filter.js';
import type { BenchContext } from '../lib/context.js';
import { spread } from '../lib/go-corpus.js';
import { table, type SectionResult, type Verdict } from '../lib/report.js';
import { SeedEmbedder } from '../lib/seed-embedder.js';
import { fmt, fmtRatio, median } from '../lib/stats.js';

/** Target: codeidx throughput ÷ transformers.js throughput. */
export const EMBED_TARGET_RATIO = 1.3;

type Side = 'codeidx' | 'transformers' | 'transformers-sorted';

/** Real chunk texts: chunks of evenly spread corpus files, then evenly spread chunks that fit the model. */
async function realChunkTexts(ctx: BenchContext, fileCount: number, textCount: number): Promise<{ texts: string[]; pool: number; tooLong: number }> {
  const seed = await SeedEmbedder.forModelDir(ctx.minilmDir);
  const chunker = createChunker(seed, ctx.logger);
  const tokenizer = HfTokenizer.fromDirectory(ctx.minilmDir);
  const files = spread(await ctx.corpus(), fileCount);
  const all: string[] = [];
  for (const path of files) {
    const verdict = classifyFile(path, readFileSync(join(ctx.options.goSrc, path)));
    if (verdict.kind === 'skip') continue;
    for (const c of await chunker.chunk(verdict.file)) all.push(seed.info.documentPrefix + c.embedText);
  }
  await chunker.dispose();
  const fits = all.filter((t) => tokenizer.encode(t, 1 << 20).ids.length <= seed.info.maxTokens);
  return { texts: spread(fits, textCount), pool: all.length, tooLong: all.length - fits.length };
}

/** transformers.js wants <root>/<name>/{config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx}. */
function transformersLayout(modelPath: string, modelDir: string, repoRoot: string, workDir: string): string {
  const root = mkdtempSync(join(workDir, 'tfjs-'));
  const dir = join(root, 'm');
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  symlinkSync(modelPath, join(dir, 'onnx', 'model.onnx'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(modelDir, f), join(dir, f));
  copyFileSync(join(repoRoot, '..', 'shared', 'models', 'bert-base-uncased-tokenizer', 'config.json'), join(dir, 'config.json'));
  return root;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/** Runs the benchmark. */
export async function runEmbed(ctx: BenchContext): Promise<SectionResult> {
  const { quick, threads, log, repoRoot, workDir } = ctx.options;
  const batches = [1, 8, 32];
  const rounds = quick ? 1 : 2;
  log('embed: chunking a sample of the corpus ...');
  const { texts, pool, tooLong } = await realChunkTexts(ctx, quick ? 40 : 400, quick ? 16 : 128);
  const model = await loadModelDirectory(ctx.minilmDir);
  const tokenizer = HfTokenizer.fromDirectory(model.dir);
  const tokens = texts.reduce((s, t) => s + tokenizer.encode(t, model.info.maxTokens).ids.length, 0);
  const sortedTexts = [...texts].sort((a, b) => tokenizer.encode(b, 1 << 20).ids.length - tokenizer.encode(a, 1 << 20).ids.length);
  log(`embed: ${texts.length} chunks, ${tokens} tokens, ${threads} threads, batches ${batches.join(',')}, ${rounds} round(s)`);

  const tfRoot = transformersLayout(model.modelPath, model.dir, repoRoot, workDir);
  const tf = await import('@huggingface/transformers');
  tf.env.localModelPath = tfRoot;
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  const extractor = await tf.pipeline('feature-extraction', 'm', {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' },
  });
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  let agreement = 1;
  try {
    for (const batchSize of batches) {
      const embedder = await OnnxEmbedder.create(model, { batchSize, intraOpThreads: threads, device: 'cpu' });
      const runSide = async (side: Side, list: readonly string[]): Promise<number> => {
        const t0 = performance.now();
        if (side === 'codeidx') {
          // Prefix already applied above: the model's document prefix is '' for MiniLM.
          await embedder.embedDocuments(list);
        } else {
          const input = side === 'transformers-sorted' ? sortedTexts : list;
          for (let i = 0; i < input.length; i += batchSize) {
            await extractor(input.slice(i, i + batchSize), { pooling: model.info.pooling, normalize: true });
          }
        }
        return (performance.now() - t0) / 1000;
      };
      const sides: Side[] = batchSize > 1 ? ['codeidx', 'transformers', 'transformers-sorted'] : ['codeidx', 'transformers'];
      // Warm-up (session first runs, allocator) and a correctness check: same vectors from both.
      const probe = texts.slice(0, Math.min(4, texts.length));
      const ours = await embedder.embedDocuments(probe);
      const theirs = await extractor(probe, { pooling: model.info.pooling, normalize: true });
      const dims = model.info.dims;
      ours.forEach((v, i) => (agreement = Math.min(agreement, cosine(v, (theirs.data as Float32Array).subarray(i * dims, (i + 1) * dims)))));
      const seconds = new Map<Side, number[]>(sides.map((s) => [s, []]));
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const s = await runSide(side, texts);
          seconds.get(side)?.push(s);
          log(`embed: batch ${batchSize} ${side} round ${r + 1}: ${(tokens / s).toFixed(0)} tokens/s`);
        }
      }
      await embedder.close();
      const tps = (side: Side): number => tokens / median(seconds.get(side) ?? []);
      for (const side of sides) {
        const sec = median(seconds.get(side) ?? []);
        rows.push([
          String(batchSize),
          side === 'codeidx' ? 'codeidx OnnxEmbedder' : side === 'transformers' ? 'transformers.js pipeline' : 'transformers.js, input pre-sorted by length',
          fmt(tokens / sec),
          fmt((sec * 1000) / texts.length, 1),
          fmt(sec, 2),
          side === 'codeidx' ? '—' : fmtRatio(tps('codeidx') / tps(side)),
        ]);
      }
      const ratio = tps('codeidx') / tps('transformers');
      verdicts.push({
        metric: `batch ${batchSize}: codeidx ÷ transformers.js throughput (${fmt(tps('codeidx'))} vs ${fmt(tps('transformers'))} tokens/s)`,
        target: `≥ ${EMBED_TARGET_RATIO}×`,
        measured: fmtRatio(ratio),
        pass: ratio >= EMBED_TARGET_RATIO,
      });
    }
  } finally {
    await extractor.dispose();
    rmSync(tfRoot, { recursive: true, force: true });
  }
  return {
    id: 'embed',
    title: '2. Embedding throughput (synthetic MiniLM) vs transformers.js',
    verdicts,
    body: [table(['batch', 'embedder', 'tokens/s', 'ms/chunk', 'seconds (median)', 'codeidx speed-up'], rows)],
    notes: [
      `${texts.length} real chunks (embedded text: context header + code) spread over the chunks of ${quick ? 40 : 400} spread files of the Go standard library; ` +
        `${fmt(tokens)} tokens (mean ${fmt(tokens / texts.length)} per chunk, with [CLS]/[SEP], no padding). ` +
        `${fmt(tooLong)} of ${fmt(pool)} candidate chunks exceeded ${model.info.maxTokens} tokens and were left out so both sides embed the same tokens.`,
      `Same ONNX file (${model.info.id}, 6 layers, hidden 384, random weights), onnxruntime-node 1.30.0 on both sides, CPU, ` +
        `intra-op threads ${threads}, inter-op 1, sequential, graph optimisation "all"; transformers.js with dtype fp32, local files only ` +
        `(env.allowRemoteModels = false), pooling mean, normalize true.`,
      `codeidx sorts texts by length and pads each batch to its own longest text, capped at ${fmt(DEFAULT_MAX_BATCH_TOKENS)} padded tokens per call on CPU (so "batch 32" of 256-token chunks runs 4 at a time); ` +
        `transformers.js gets the batches in input order, as a caller would pass them; the "pre-sorted" row gives it length-sorted input too (a stronger baseline).`,
      `Vectors agree: lowest cosine between the two libraries' vectors of the same text ${agreement.toFixed(6)}.`,
      `${rounds} alternating round(s) per batch size after one warm-up; medians. ms/chunk = wall time ÷ chunks.`,
    ],
  };
}
