/**
 * Peak RSS and time of onnxruntime-node on the synthetic MiniLM under dynamic padding, each variant
 * in its own process (VmHWM is per process):
 * - memory patterns on / off (`enableMemPattern`), batches of ≤ 2,048 padded tokens;
 * - memory patterns off, batches of ≤ 1,024 padded tokens (`DEFAULT_MAX_BATCH_TOKENS`).
 * Shapes: lengths 40…256 (step 24), batch = min(32, floor(cap / length)), as the embedder's
 * length-sorted batches produce them; rounds scaled so that every variant runs the same tokens.
 *
 * Run: `npx tsx bench/ort-memory.ts` (needs models/synthetic-minilm: `npm run make:models`).
 *
 * @module bench/ort-memory
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODEL = fileURLToPath(new URL('../models/synthetic-minilm/model.onnx', import.meta.url));

/** One configuration of the session and the batching. */
interface Variant {
  readonly pattern: boolean;
  readonly cap: number;
}

const VARIANTS: readonly Variant[] = [
  { pattern: true, cap: 2048 },
  { pattern: false, cap: 2048 },
  { pattern: false, cap: 1024 },
];

/** VmHWM of this process, in MB (Linux). */
function peakMb(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Runs the shapes in this process; prints one JSON line. */
async function child(v: Variant): Promise<void> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(MODEL, {
    intraOpNumThreads: 2,
    executionProviders: ['cpu'],
    enableMemPattern: v.pattern,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  let ms = 0;
  let tokens = 0;
  const target = 3 * 2048 * 10; // ≈ the tokens of 3 rounds at the 2,048 cap
  while (tokens < target) {
    for (let len = 40; len <= 256; len += 24) {
      const b = Math.max(1, Math.min(32, Math.floor(v.cap / len)));
      const t = (fill: bigint) => new ort.Tensor('int64', new BigInt64Array(b * len).fill(fill), [b, len]);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { input_ids: t(101n), attention_mask: t(1n) };
      if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = t(0n);
      const t0 = performance.now();
      await session.run(feeds);
      ms += performance.now() - t0;
      tokens += b * len;
    }
  }
  console.log(JSON.stringify({ ...v, ms: Math.round(ms), tokens, peakMb: Math.round(peakMb()) }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = process.argv[2];
  if (arg?.startsWith('{')) {
    await child(JSON.parse(arg) as Variant);
  } else {
    const rows = [...VARIANTS, ...VARIANTS].map(
      (v) =>
        JSON.parse(
          execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), JSON.stringify(v)], { encoding: 'utf8' })
            .trim()
            .split('\n')
            .pop() ?? '{}',
        ) as Variant & { ms: number; tokens: number; peakMb: number },
    );
    for (const r of rows) {
      console.log(
        `enableMemPattern=${String(r.pattern).padEnd(5)} cap ${r.cap}: peak RSS ${r.peakMb} MB, ${r.tokens} tokens in ${r.ms} ms (${Math.round((r.tokens / r.ms) * 1000)} tokens/s)`,
      );
    }
    const avg = (v: Variant, k: 'ms' | 'peakMb' | 'tokens'): number => {
      const xs = rows.filter((r) => r.pattern === v.pattern && r.cap === v.cap);
      return xs.reduce((s, x) => s + x[k], 0) / xs.length;
    };
    const base = VARIANTS[0];
    for (const v of VARIANTS.slice(1)) {
      const speed = avg(v, 'tokens') / avg(v, 'ms') / (avg(base, 'tokens') / avg(base, 'ms'));
      console.log(
        `patterns ${v.pattern ? 'on' : 'off'}, cap ${v.cap} ÷ patterns on, cap ${base.cap}: peak RSS ${(avg(v, 'peakMb') / avg(base, 'peakMb')).toFixed(2)}×, tokens/s ${speed.toFixed(2)}×`,
      );
    }
  }
}
