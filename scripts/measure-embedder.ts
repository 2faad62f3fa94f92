/**
 * Measures `OnnxEmbedder` throughput (tokens/s) on a model directory, by batch size, and optionally
 * compares it with @huggingface/transformers' feature-extraction pipeline on the same ONNX file,
 * the same threads and the same texts.
 *
 *     npx tsx scripts/measure-embedder.ts [--model DIR] [--threads 2] [--batches 1,8,32] [--texts 256] [--compare]
 *
 * Default model: the synthetic all-MiniLM-L6-v2 architecture (generated when missing).
 * Tokens counted: real tokens with special tokens, no padding, after truncation to maxTokens.
 *
 * @module scripts/measure-embedder
 */
import { mkdtempSync, rmSync, symlinkSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadModelDirectory } from '../src/adapters/hf/model-resolver.js';
import { OnnxEmbedder } from '../src/adapters/onnx/onnx-embedder.js';
import { HfTokenizer } from '../src/adapters/tokenizer/hf-tokenizer.js';
import { ensureSyntheticModel } from './make-synthetic-model.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** Deterministic code-like texts of varied length (5 to ~300 words). */
function makeTexts(count: number): string[] {
  const words = ['function', 'getUserById', 'return', 'await', 'const', 'result', 'db.query', 'if', 'null', 'throw', 'new', 'Error', 'user_id', 'for', 'items', 'map', 'filter', 'async', 'export', 'interface'];
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = 5 + Math.floor(rand() * rand() * 300);
    const parts: string[] = [];
    for (let w = 0; w < n; w++) parts.push(words[Math.floor(rand() * words.length)]);
    texts.push(`src/file${i}.ts: ${parts.join(' ')}`);
  }
  return texts;
}

async function main(): Promise<void> {
  const dir = resolve(arg('model', ensureSyntheticModel('minilm')));
  const threads = Number(arg('threads', '2'));
  const batches = arg('batches', '1,8,32').split(',').map(Number);
  const texts = makeTexts(Number(arg('texts', '256')));
  const model = await loadModelDirectory(dir);
  const tokenizer = HfTokenizer.fromDirectory(model.dir);
  const tokens = texts.reduce((sum, t) => sum + tokenizer.encode(model.info.documentPrefix + t, model.info.maxTokens).ids.length, 0);
  console.log(`model ${model.info.id} (${model.modelPath}), ${texts.length} texts, ${tokens} tokens, ${threads} threads`);
  for (const batchSize of batches) {
    const embedder = await OnnxEmbedder.create(model, { batchSize, intraOpThreads: threads, device: 'cpu' });
    await embedder.embedDocuments(texts.slice(0, Math.min(16, texts.length))); // warm-up
    const t0 = performance.now();
    await embedder.embedDocuments(texts);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`codeidx      batch ${String(batchSize).padStart(3)}: ${(tokens / seconds).toFixed(0)} tokens/s (${seconds.toFixed(2)} s)`);
    await embedder.close();
  }
  if (!process.argv.includes('--compare')) return;
  // transformers.js wants <root>/<id>/{config.json, tokenizer.json, onnx/model.onnx}.
  const root = mkdtempSync(join(tmpdir(), 'codeidx-tfjs-'));
  try {
    const modelDir = join(root, 'm');
    mkdirSync(join(modelDir, 'onnx'), { recursive: true });
    symlinkSync(model.modelPath, join(modelDir, 'onnx', 'model.onnx'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(model.dir, f), join(modelDir, f));
    copyFileSync(resolve(import.meta.dirname, '..', '..', 'shared', 'models', 'bert-base-uncased-tokenizer', 'config.json'), join(modelDir, 'config.json'));
    const tf = await import('@huggingface/transformers');
    tf.env.localModelPath = root;
    tf.env.allowRemoteModels = false;
    const extractor = await tf.pipeline('feature-extraction', 'm', {
      dtype: 'fp32',
      device: 'cpu',
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    for (const batchSize of batches) {
      const run = async (list: string[]) => {
        for (let i = 0; i < list.length; i += batchSize) {
          await extractor(list.slice(i, i + batchSize), { pooling: model.info.pooling, normalize: true });
        }
      };
      await run(texts.slice(0, 16));
      const t0 = performance.now();
      await run(texts);
      const seconds = (performance.now() - t0) / 1000;
      console.log(`transformers batch ${String(batchSize).padStart(3)}: ${(tokens / seconds).toFixed(0)} tokens/s (${seconds.toFixed(2)} s)`);
    }
    await extractor.dispose();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
