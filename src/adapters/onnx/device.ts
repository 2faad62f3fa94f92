/**
 * @module adapters/onnx/device — chooses the onnxruntime execution provider and creates the session.
 *
 * Policy:
 * - `cpu`: CPU.
 * - `auto`: CUDA when an NVIDIA GPU is present (/proc/driver/nvidia/version exists or `nvidia-smi -L`
 *   succeeds) AND onnxruntime-node's bin folder holds libonnxruntime_providers_cuda.so; else CPU, with a
 *   one-line notice. A CUDA session that fails to start falls back to CPU with a warning.
 * - `cuda` (forced): with no NVIDIA GPU or no CUDA EP binaries → `ConfigError` (an explicit request that
 *   cannot be met is a configuration mistake; silently running 10–50× slower on CPU would hide it).
 *   With both present, a session-creation failure (driver/CUDA/cuDNN mismatch) falls back to CPU with a
 *   warning, as for `auto`: the hardware is there and the index is still correct, only slower.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceSession } from 'onnxruntime-node';
import which from 'which';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';

/** Device requested by configuration. */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda';

/** Execution provider actually used. */
export type ExecutionDevice = 'cpu' | 'cuda';

/** Hardware/software detection, injectable for tests. */
export interface DeviceProbe {
  /** True when an NVIDIA GPU and driver are visible. */
  hasNvidiaGpu(): boolean;
  /** True when onnxruntime-node ships the CUDA execution provider library. */
  hasCudaProvider(): boolean;
}

/** Creates an onnxruntime session; injectable for tests (defaults to `InferenceSession.create`). */
export type SessionFactory<S> = (modelPath: string, options: InferenceSession.SessionOptions) => Promise<S>;

/** Name of the CUDA EP shared library in onnxruntime-node's bin folder (Linux). */
export const CUDA_PROVIDER_LIBRARY = 'libonnxruntime_providers_cuda.so';

function findFile(dir: string, name: string, depth: number): boolean {
  if (depth < 0 || !existsSync(dir)) return false;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === name) return true;
    if (statSync(path).isDirectory() && findFile(path, name, depth - 1)) return true;
  }
  return false;
}

/**
 * Probes this machine: /proc/driver/nvidia/version, or `nvidia-smi -L` when `nvidia-smi` is on PATH
 * (looked up with `which` first: spawning a missing program cost ~20 ms on every run of a GPU-less
 * runner, node --cpu-prof of the action); onnxruntime-node/bin/**\/libonnxruntime_providers_cuda.so.
 */
export const systemDeviceProbe: DeviceProbe = {
  hasNvidiaGpu(): boolean {
    if (existsSync('/proc/driver/nvidia/version')) return true;
    const smi = which.sync('nvidia-smi', { nothrow: true });
    if (smi === null) return false;
    const result = spawnSync(smi, ['-L'], { stdio: 'ignore', timeout: 5000 });
    return result.status === 0;
  },
  hasCudaProvider(): boolean {
    // dist/index.js → package root → bin/napi-v*/<platform>/<arch>/
    const entry = fileURLToPath(import.meta.resolve('onnxruntime-node'));
    let root = dirname(entry);
    while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
    return findFile(join(root, 'bin'), CUDA_PROVIDER_LIBRARY, 4);
  },
};

/**
 * Decides the execution provider for a request (before any session exists).
 * @throws ConfigError when `cuda` is forced and there is no NVIDIA GPU or no CUDA EP.
 */
export function chooseDevice(requested: DeviceRequest, probe: DeviceProbe, logger?: Logger): ExecutionDevice {
  if (requested === 'cpu') return 'cpu';
  const gpu = probe.hasNvidiaGpu();
  const ep = gpu && probe.hasCudaProvider();
  if (requested === 'cuda') {
    if (!gpu) {
      throw new ConfigError('device "cuda" requested but no NVIDIA GPU was found', {
        hint: 'use --device auto (CUDA when available, else CPU) or --device cpu',
      });
    }
    if (!ep) {
      throw new ConfigError(`device "cuda" requested but onnxruntime-node has no CUDA provider (${CUDA_PROVIDER_LIBRARY})`, {
        hint: 'reinstall onnxruntime-node with its CUDA binaries (ONNXRUNTIME_NODE_INSTALL_CUDA), or use --device auto',
      });
    }
    return 'cuda';
  }
  if (ep) return 'cuda';
  logger?.info(
    gpu
      ? `embedding on CPU: NVIDIA GPU found but onnxruntime-node has no CUDA provider (${CUDA_PROVIDER_LIBRARY})`
      : 'embedding on CPU (no NVIDIA GPU found)',
  );
  return 'cpu';
}

/** Options of `createSession`. */
export interface CreateSessionOptions<S> {
  readonly device: DeviceRequest;
  /** Threads of one operator (onnxruntime intra-op pool). */
  readonly intraOpThreads: number;
  readonly logger?: Logger;
  readonly probe?: DeviceProbe;
  readonly factory?: SessionFactory<S>;
}

/**
 * Creates a session on the chosen device; a CUDA failure falls back to CPU with a warning.
 * Options: full graph optimisation, sequential execution, one inter-op thread.
 * @throws ConfigError (see `chooseDevice`); whatever the factory throws on CPU.
 */
export async function createSession<S = InferenceSession>(
  modelPath: string,
  options: CreateSessionOptions<S>,
): Promise<{ session: S; device: ExecutionDevice }> {
  const factory =
    options.factory ??
    (async (path: string, o: InferenceSession.SessionOptions) => {
      const ort = await import('onnxruntime-node');
      return (await ort.InferenceSession.create(path, o)) as S;
    });
  const base: InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Memory patterns are planned and kept per input shape; with dynamic padding every batch has a
    // new (batch, length) shape, so the kept plans only grow the process. Synthetic MiniLM, 10 shapes,
    // same tokens (`npx tsx bench/ort-memory.ts`): peak RSS 0.87×, tokens/s 1.03× with patterns off.
    enableMemPattern: false,
    // Idle intra-op threads sleep instead of spinning: on a small machine the spinning threads
    // take the cores the store and the HTTP server need between inferences (query latency).
    // onnxruntime session config key "session.intra_op.allow_spinning" (onnxruntime_session_options_config_keys.h).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const device = chooseDevice(options.device, options.probe ?? systemDeviceProbe, options.logger);
  if (device === 'cuda') {
    try {
      return { session: await factory(modelPath, { ...base, executionProviders: ['cuda', 'cpu'] }), device: 'cuda' };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.logger?.warn(`CUDA session failed, falling back to CPU: ${message}`);
    }
  }
  return { session: await factory(modelPath, { ...base, executionProviders: ['cpu'] }), device: 'cpu' };
}
