import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseDevice, createSession, systemDeviceProbe, type DeviceProbe } from '../../../src/adapters/onnx/device.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/ports.js';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}
const probe = (gpu: boolean, ep: boolean): DeviceProbe => ({ hasNvidiaGpu: () => gpu, hasCudaProvider: () => ep });

describe('chooseDevice', () => {
  it('auto without a GPU → cpu, with a one-line notice', () => {
    const log = recorder();
    expect(chooseDevice('auto', probe(false, false), log)).toBe('cpu');
    expect(log.lines).toEqual(['info embedding on CPU (no NVIDIA GPU found)']);
  });

  it('auto with a GPU but no CUDA provider → cpu, saying why', () => {
    const log = recorder();
    expect(chooseDevice('auto', probe(true, false), log)).toBe('cpu');
    expect(log.lines[0]).toMatch(/no CUDA provider/);
  });

  it('auto with GPU and CUDA provider → cuda', () => {
    expect(chooseDevice('auto', probe(true, true))).toBe('cuda');
  });

  it('cpu is always cpu', () => {
    expect(chooseDevice('cpu', probe(true, true))).toBe('cpu');
  });

  it('cuda forced without a GPU or provider → ConfigError', () => {
    expect(() => chooseDevice('cuda', probe(false, false))).toThrow(ConfigError);
    expect(() => chooseDevice('cuda', probe(true, false))).toThrow(/no CUDA provider/);
    expect(chooseDevice('cuda', probe(true, true))).toBe('cuda');
  });

  it.skipIf(process.platform === 'win32' || fs.existsSync('/proc/driver/nvidia/version'))(
    'the system probe runs nvidia-smi from PATH only when it is there, and believes its exit status',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codeidx-smi-'));
      const saved = process.env.PATH;
      try {
        process.env.PATH = dir; // no nvidia-smi at all
        expect(systemDeviceProbe.hasNvidiaGpu()).toBe(false);
        const smi = path.join(dir, 'nvidia-smi');
        fs.writeFileSync(smi, '#!/bin/sh\necho "GPU 0: fake"\nexit 0\n', { mode: 0o755 });
        expect(systemDeviceProbe.hasNvidiaGpu()).toBe(true);
        fs.writeFileSync(smi, '#!/bin/sh\nexit 9\n', { mode: 0o755 }); // driver not loaded
        expect(systemDeviceProbe.hasNvidiaGpu()).toBe(false);
      } finally {
        process.env.PATH = saved;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('the system probe answers without throwing on this machine', () => {
    expect(typeof systemDeviceProbe.hasNvidiaGpu()).toBe('boolean');
    expect(typeof systemDeviceProbe.hasCudaProvider()).toBe('boolean');
  });
});

describe('createSession', () => {
  it('uses the CUDA provider when chosen', async () => {
    const calls: unknown[] = [];
    const { session, device } = await createSession('m.onnx', {
      device: 'auto',
      intraOpThreads: 2,
      probe: probe(true, true),
      factory: (_path, options) => {
        calls.push(options.executionProviders);
        return Promise.resolve('session');
      },
    });
    expect(device).toBe('cuda');
    expect(session).toBe('session');
    expect(calls).toEqual([['cuda', 'cpu']]);
  });

  it('falls back to CPU with a warning when the CUDA session fails', async () => {
    const log = recorder();
    const { device } = await createSession('m.onnx', {
      device: 'cuda',
      intraOpThreads: 1,
      probe: probe(true, true),
      logger: log,
      factory: (_path, options) =>
        (options.executionProviders ?? []).includes('cuda')
          ? Promise.reject(new Error('libcudnn.so.9: cannot open shared object file'))
          : Promise.resolve('cpu-session'),
    });
    expect(device).toBe('cpu');
    expect(log.lines).toEqual(['warn CUDA session failed, falling back to CPU: libcudnn.so.9: cannot open shared object file']);
  });

  it('passes the thread count and never swallows a CPU failure', async () => {
    let threads: number | undefined;
    await expect(
      createSession('m.onnx', {
        device: 'cpu',
        intraOpThreads: 3,
        factory: (_p, o) => {
          threads = o.intraOpNumThreads;
          return Promise.reject(new Error('bad model'));
        },
      }),
    ).rejects.toThrow('bad model');
    expect(threads).toBe(3);
  });
});
