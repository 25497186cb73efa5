import { afterEach, describe, expect, it } from 'vitest';
import { KernelInstance } from './kernel-instance.js';
import { setWasmKernelsEnabled, wasmKernelFailure, wasmKernelModule } from './load-kernels.js';

describe('KernelInstance', () => {
  afterEach(() => setWasmKernelsEnabled(true));

  it('compiles the SIMD module on Node 20 and hands out disjoint, aligned, zeroed buffers', () => {
    expect(wasmKernelModule(), wasmKernelFailure()).toBeDefined();
    const k = KernelInstance.create(KernelInstance.bytesFor(5) + KernelInstance.bytesFor(3))!;
    const a = k.floats(5);
    const b = k.ints(3);
    expect(a.byteOffset % 16).toBe(0);
    expect(b.byteOffset % 16).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 20);
    expect([...a.view, ...b.view]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => k.floats(1 << 20)).toThrow(/out of room/);
  });

  it('is unavailable when switched off, so callers fall back to JavaScript', () => {
    setWasmKernelsEnabled(false);
    expect(KernelInstance.create(64)).toBeUndefined();
    expect(wasmKernelFailure()).toMatch(/switched off/);
  });
});
