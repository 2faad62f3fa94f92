/**
 * Dumps an eval suite as token ids for model selection in the training script: every chunk the real
 * pipeline (`indexTree`, the CLI's chunker, the built-in model's tokenizer) makes of `--source`, and
 * every query of the suite, as the model would see them.
 *
 *   npx tsx scripts/static-model/dump-suite.ts .data/suite-valid.jsonl --source .data/valid-corpus --out .data/suite-valid.ids.json
 *
 * Output JSON: { chunks: [{ path, startLine, endLine, ids }], queries: [{ ids, relevant: [{ path, startLine, endLine }] }] }
 * with ids including [CLS]/[SEP], truncated to the model's maxTokens (as `OnnxEmbedder` does).
 * `scripts/train-static-model.py --select suite --suite-ids FILE` ranks every chunk for every query
 * and scores MRR@10 with the eval's relevance rule (same file, overlapping lines). Use it on the
 * validation suite only: selecting on the test suite (eval/suite1-heldout.jsonl) would make the
 * reported figures optimistic.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openSourceReader } from '../../src/adapters/fs/open-source-reader.js';
import { OnnxEmbedder } from '../../src/adapters/onnx/onnx-embedder.js';
import { SqliteVectorStore } from '../../src/adapters/sqlite/sqlite-vector-store.js';
import { resolveBuiltinModel } from '../../src/adapters/static-model/builtin-model.js';
import { HfTokenizer } from '../../src/adapters/tokenizer/hf-tokenizer.js';
import { createStderrLogger } from '../../src/cli/stderr-logger.js';
import { createChunker } from '../../src/cli/wiring.js';
import { embedHeader } from '../../src/core/build-chunk.js';
import { sha256Hex } from '../../src/core/identity.js';
import { indexTree } from '../../src/core/index-pipeline.js';
import type { StoredChunk } from '../../src/core/ports.js';
import { parseEvalSuite } from '../../src/eval/eval-suite.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { source: { type: 'string' }, out: { type: 'string' } },
});
if (positionals.length !== 1 || !values.source || !values.out) {
  process.stderr.write('usage: dump-suite.ts SUITE.jsonl --source DIR --out FILE.json\n');
  process.exit(2);
}
const suite = parseEvalSuite(readFileSync(positionals[0], 'utf8'), positionals[0]);
// The training script matches by path and lines only; a location named by its symbol alone would
// silently count the whole file.
const symbolOnly = suite.find((q) =>
  q.relevant.some((r) => r.symbol !== undefined && r.startLine === undefined),
);
if (symbolOnly) {
  process.stderr.write(
    `error: suite line ${symbolOnly.line} names a relevant location by symbol only; resolve its lines first (scripts/resolve-suite-lines.ts)\n`,
  );
  process.exit(2);
}
const quiet = createStderrLogger('warn', (t) => process.stderr.write(t));

const model = await resolveBuiltinModel();
const tokenizer = HfTokenizer.fromDirectory(model.dir);
const maxTokens = model.info.maxTokens;
const embedder = await OnnxEmbedder.create(model, { device: 'cpu', logger: quiet, intraOpThreads: 1 });
const scope = { repo: 'dump', ref: 'dump' };
const dir = mkdtempSync(join(tmpdir(), 'codeidx-dump-'));
let stored: StoredChunk[];
try {
  const store = await SqliteVectorStore.open({
    path: join(dir, 'dump.db'),
    space: { modelId: embedder.info.id, revision: embedder.info.revision, dims: embedder.info.dims },
    logger: quiet,
  });
  try {
    const reader = await openSourceReader(resolve(values.source), {});
    await indexTree(
      { reader, chunker: createChunker(embedder, quiet), embedder, cache: null, store, logger: quiet },
      { scope, commit: null, planSource: 'scan' },
    );
    // Read back what was indexed; the embedded text is the header of the path and scope line + the code.
    const paths = [...(await store.indexedFiles(scope)).keys()].sort();
    stored = [...(await store.chunksOfPaths(scope, paths)).values()].flat();
  } finally {
    await store.close();
  }
} finally {
  await embedder.close();
  rmSync(dir, { recursive: true, force: true });
}
const chunks = stored.map((c) => {
  const text = embedHeader(c.path, c.scope) + c.text;
  if (sha256Hex(text) !== c.contentHash)
    throw new Error(`${c.path}:${c.startLine}: the rebuilt text is not the embedded one`);
  return {
    path: c.path,
    startLine: c.startLine,
    endLine: c.endLine,
    ids: tokenizer.encode(text, maxTokens).ids,
  };
});
const queries = suite.map((q) => ({
  ids: tokenizer.encode(model.info.queryPrefix + q.query, maxTokens).ids,
  relevant: q.relevant.map((r) => ({
    path: r.path,
    startLine: r.startLine ?? null,
    endLine: r.endLine ?? null,
  })),
}));
writeFileSync(
  values.out,
  JSON.stringify({ model: `${model.info.id}@${model.info.revision}`, chunks, queries }),
);
process.stderr.write(`${chunks.length} chunks, ${queries.length} queries → ${values.out}\n`);
