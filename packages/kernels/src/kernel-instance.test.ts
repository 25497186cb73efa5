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

  it('shares a memory: an attached instance runs the kernels on the creator buffers, as a plain instance computes', () => {
    const rows = 3;
    const dim = 6;
    const run = (k: KernelInstance, attached?: KernelInstance): Float32Array => {
      const w = k.floats(rows * dim);
      const m = k.floats(rows * dim);
      const v = k.floats(rows * dim);
      const grad = k.floats(2 * dim);
      const list = k.ints(2);
      w.view.forEach((_, j) => (w.view[j] = Math.sin(j)));
      grad.view.forEach((_, j) => (grad.view[j] = Math.cos(j) / 10));
      list.view.set([2, 0]);
      // w, m, v, grad, list, factors, count, dim, β1, β2, 1−β1, 1−β2, stepSize, √bc2, eps, decay, l2
      (attached ?? k).exports.adamRows(
        w.byteOffset,
        m.byteOffset,
        v.byteOffset,
        grad.byteOffset,
        list.byteOffset,
        0,
        2,
        dim,
        0.9,
        0.99,
        0.1,
        0.01,
        0.01,
        0.1,
        1e-5,
        0.999,
        0,
      );
      return w.view.slice();
    };
    const bytes = 3 * KernelInstance.bytesFor(rows * dim) + KernelInstance.bytesFor(3 * dim);
    const plain = run(KernelInstance.create(bytes)!);
    const creator = KernelInstance.create(bytes, { shared: true })!;
    expect(creator.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const attached = KernelInstance.attach(creator.memory)!;
    expect(() => attached.floats(1)).toThrow(/out of room/);
    const shared = run(creator, attached);
    expect(shared).toEqual(plain);
    // row 1 was not listed: untouched
    expect(shared.subarray(dim, 2 * dim)).toEqual(
      Float32Array.from({ length: dim }, (_, j) => Math.sin(dim + j)),
    );
  });

  it('is unavailable when switched off, so callers fall back to JavaScript', () => {
    setWasmKernelsEnabled(false);
    expect(KernelInstance.create(64)).toBeUndefined();
    expect(wasmKernelFailure()).toMatch(/switched off/);
  });
});
