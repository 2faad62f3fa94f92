/**
 * Wraps a `VectorStore` and throws on the Nth call of a chosen method, to test that a failed run
 * leaves the previous complete state in force and that a re-run converges.
 */
import { VectorStoreError } from '../../src/core/errors.js';
import type { VectorStore } from '../../src/core/ports.js';

/** Methods that can be made to fail. */
export type FailingMethod = 'upsert' | 'deleteByPath' | 'putState';

/** A proxy over `inner` whose `method` throws on call number `failOnCall` (1-based). */
export function failingStore(inner: VectorStore, method: FailingMethod, failOnCall: number): VectorStore {
  let calls = 0;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== method || typeof value !== 'function') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (...args: unknown[]) => {
        calls++;
        if (calls === failOnCall) return Promise.reject(new VectorStoreError(`injected ${method} failure`));
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}
