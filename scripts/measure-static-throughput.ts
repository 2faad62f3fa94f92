/**
 * Embedding throughput of codeidx-static vs the MiniLM-architecture model (synthetic weights, same
 * graph as all-MiniLM-L6-v2), side by side in one run, on the same real code chunks (the chunker's
 * embedText of a source tree), through the same `OnnxEmbedder`, with the same thread count.
 *
 *   npx tsx scripts/measure-static-throughput.ts [--source node_modules/hono/dist] [--threads 1] [--chunks 2000] [--minilm-chunks 128]
 *     [--compare DIR] [--rounds 1]
 *
 * `--compare DIR` also measures another static model folder (e.g. a previous codeidx-static copied out of
 * git) on the same chunk texts, right after the built-in one in every round, so the two are compared
 * under the same load; `--rounds N` repeats the measurements (MiniLM once per round too).
 *
 * Throughput = chunks / wall time of `embedDocuments` (tokenization + inference + pooling), after one
 * warm-up call. The MiniLM model embeds a prefix of the same chunk list (it is ~100× slower).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadModelDirectory } from '../src/adapters/hf/model-resolver.js';
import { OnnxEmbedder } from '../src/adapters/onnx/onnx-embedder.js';
import { resolveBuiltinModel } from '../src/adapters/static-model/builtin-model.js';
import { createStderrLogger } from '../src/cli/stderr-logger.js';
import { chunkTexts } from './lib/chunk-texts.js';
import { ensureSyntheticModel } from './make-synthetic-model.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function measure(
  embedder: OnnxEmbedder,
  texts: string[],
): Promise<{ chunks: number; seconds: number; perSecond: number }> {
  await embedder.embedDocuments(texts.slice(0, 8));
  const t0 = performance.now();
  await embedder.embedDocuments(texts);
  const seconds = (performance.now() - t0) / 1000;
  return { chunks: texts.length, seconds, perSecond: texts.length / seconds };
}

async function main(): Promise<void> {
  const source = resolve(arg('source', 'node_modules/hono/dist'));
  const threads = Number(arg('threads', '1'));
  const staticModel = await OnnxEmbedder.create(await resolveBuiltinModel(), {
    device: 'cpu',
    intraOpThreads: threads,
  });
  const minilmDir = ensureSyntheticModel('minilm');
  const minilm = await OnnxEmbedder.create(await loadModelDirectory(minilmDir), {
    device: 'cpu',
    intraOpThreads: threads,
  });
  const logger = createStderrLogger('warn');
  const staticTexts = await chunkTexts(source, staticModel, Number(arg('chunks', '2000')), logger);
  const minilmTexts = await chunkTexts(source, minilm, Number(arg('minilm-chunks', '128')), logger);
  const compareDir = process.argv.includes('--compare') ? resolve(arg('compare', '')) : undefined;
  const other = compareDir
    ? await OnnxEmbedder.create(await loadModelDirectory(compareDir), {
        device: 'cpu',
        intraOpThreads: threads,
      })
    : undefined;
  type Measured = Awaited<ReturnType<typeof measure>>;
  const measured: { s: Measured; m: Measured; o?: Measured }[] = [];
  for (let r = 0; r < Math.max(1, Number(arg('rounds', '1'))); r++) {
    const s = await measure(staticModel, staticTexts);
    const m = await measure(minilm, minilmTexts);
    measured.push({ s, m, ...(other ? { o: await measure(other, staticTexts) } : {}) });
  }
  const rounds = measured.map(({ s, m, o }) => ({
    static: s.perSecond,
    ...(o ? { compare: o.perSecond } : {}),
    minilm: m.perSecond,
  }));
  const { s, m } = measured[measured.length - 1];
  const result = {
    source,
    threads,
    node: process.version,
    cpu: readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown',
    static: { model: `${staticModel.info.id}@${staticModel.info.revision}`, ...s },
    minilm: { model: `${minilm.info.id}@${minilm.info.revision}`, ...m },
    speedup: s.perSecond / m.perSecond,
    ...(other ? { compare: `${other.info.id}@${other.info.revision}` } : {}),
    // chunks/s of each model in each round (the fields above are the last round)
    rounds,
  };
  await other?.close();
  await staticModel.close();
  await minilm.close();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
