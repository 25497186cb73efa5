import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { currentThreadEnvironment, resolveThreads, type ThreadEnvironment } from './threads.js';

const node: ThreadEnvironment = {
  sharedMemory: true,
  crossOriginIsolated: undefined,
  workers: true,
  cores: 8,
};
const isolatedPage: ThreadEnvironment = { ...node, crossOriginIsolated: true, cores: 4 };
// browsers hide SharedArrayBuffer on pages without COOP/COEP
const plainPage: ThreadEnvironment = { ...node, crossOriginIsolated: false, sharedMemory: false };

describe('resolveThreads', () => {
  it('defaults to one thread and takes every core for auto', () => {
    expect(resolveThreads(undefined, node)).toEqual({ threads: 1 });
    expect(resolveThreads('auto', node)).toEqual({ threads: 8 });
    expect(resolveThreads(3, node)).toEqual({ threads: 3 });
  });

  it('runs workers on a cross-origin isolated page', () => {
    expect(resolveThreads('auto', isolatedPage)).toEqual({ threads: 4 });
  });

  it('falls back to one thread on a page that is not cross-origin isolated, naming the headers', () => {
    const choice = resolveThreads(4, plainPage);
    expect(choice.threads).toBe(1);
    expect(choice.reason).toMatch(/Cross-Origin-Opener-Policy: same-origin/);
    expect(choice.reason).toMatch(/Cross-Origin-Embedder-Policy: require-corp/);
  });

  it('falls back without SharedArrayBuffer or workers', () => {
    expect(resolveThreads(2, { ...node, sharedMemory: false }).reason).toMatch(/SharedArrayBuffer/);
    expect(resolveThreads(2, { ...node, workers: false }).reason).toMatch(/workers/);
    expect(resolveThreads(1, { ...node, workers: false })).toEqual({ threads: 1 });
  });

  it('rejects a count that is not a whole number ≥ 1', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => resolveThreads(bad, node)).toThrow(InvalidArgumentError);
    }
  });

  it('reads Node as a platform with shared memory and workers', () => {
    const env = currentThreadEnvironment(6);
    expect(env).toEqual({
      sharedMemory: true,
      crossOriginIsolated: undefined,
      workers: true,
      cores: 6,
    });
  });
});
