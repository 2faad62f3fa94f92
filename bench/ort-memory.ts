/**
 * Peak RSS and time of onnxruntime-node on the synthetic MiniLM under dynamic padding, with and
 * without memory patterns (`enableMemPattern`), each variant in its own process (VmHWM is per
 * process). Shapes: batches of ≤ 2,048 padded tokens for lengths 40…256 (step 24), 3 rounds, as the
 * embedder's length-sorted batches produce them.
 *
 * Run: `npx tsx bench/ort-memory.ts` (needs models/synthetic-minilm: `npm run make:models`).
 *
 * @module bench/ort-memory
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODEL = fileURLToPath(new URL('../models/synthetic-minilm/model.onnx', import.meta.url));

/** VmHWM of this process, in MB (Linux). */
function peakMb(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Runs the shapes in this process with `enableMemPattern = pattern`; prints one JSON line. */
async function child(pattern: boolean): Promise<void> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(MODEL, {
    intraOpNumThreads: 2,
    executionProviders: ['cpu'],
    enableMemPattern: pattern,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  let ms = 0;
  for (let round = 0; round < 3; round++) {
    for (let len = 40; len <= 256; len += 24) {
      const b = Math.max(1, Math.min(32, Math.floor(2048 / len)));
      const t = (fill: bigint) => new ort.Tensor('int64', new BigInt64Array(b * len).fill(fill), [b, len]);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { input_ids: t(101n), attention_mask: t(1n) };
      if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = t(0n);
      const t0 = performance.now();
      await session.run(feeds);
      ms += performance.now() - t0;
    }
  }
  console.log(JSON.stringify({ pattern, ms: Math.round(ms), peakMb: Math.round(peakMb()) }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = process.argv[2];
  if (arg === 'child-on' || arg === 'child-off') {
    await child(arg === 'child-on');
  } else {
    const rows = ['child-on', 'child-off', 'child-on', 'child-off'].map(
      (v) =>
        JSON.parse(
          execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), v], { encoding: 'utf8' }).trim().split('\n').pop() ?? '{}',
        ) as { pattern: boolean; ms: number; peakMb: number },
    );
    for (const r of rows) console.log(`enableMemPattern=${String(r.pattern).padEnd(5)} peak RSS ${r.peakMb} MB, inference ${r.ms} ms`);
    const on = rows.filter((r) => r.pattern);
    const off = rows.filter((r) => !r.pattern);
    const avg = (xs: Array<{ ms: number; peakMb: number }>, k: 'ms' | 'peakMb') => xs.reduce((s, x) => s + x[k], 0) / xs.length;
    console.log(`off ÷ on: peak RSS ${(avg(off, 'peakMb') / avg(on, 'peakMb')).toFixed(2)}×, time ${(avg(off, 'ms') / avg(on, 'ms')).toFixed(2)}×`);
  }
}
