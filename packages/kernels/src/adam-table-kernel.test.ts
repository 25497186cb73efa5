import { afterEach, describe, expect, it } from 'vitest';
import { AdamTableKernel, type AdamStepScalars } from './adam-table-kernel.js';
import { setWasmKernelsEnabled } from './load-kernels.js';

const f = Math.fround;

/** PyTorch 1.13's float32 Adam on one value, op by op (scalars rounded to float32 as its kernels do). */
function torchAdam(
  w: number,
  m: number,
  v: number,
  g: number,
  s: AdamStepScalars,
): [number, number, number] {
  w = f(w * f(s.decay));
  const gj = f(g + f(f(s.l2) * w));
  m = f(f(m * f(s.beta1)) + f(gj * f(1 - s.beta1)));
  v = f(f(v * f(s.beta2)) + f(f(f(1 - s.beta2) * gj) * gj));
  const denom = f(f(f(Math.sqrt(v)) / f(s.sqrtBc2)) + f(s.eps));
  w = f(w - f(f(s.stepSize) * f(m / denom)));
  return [w, m, v];
}

describe('AdamTableKernel', () => {
  afterEach(() => setWasmKernelsEnabled(true));

  const scalars: AdamStepScalars = {
    beta1: 0.9,
    beta2: 0.999,
    stepSize: 0.01 / (1 - 0.9),
    sqrtBc2: Math.sqrt(1 - 0.999),
    eps: 1e-8,
    decay: 1 - 0.01 * 0.1,
    l2: 0.02,
  };

  it('updates every row in float32, bit for bit as PyTorch, rows without a gradient included', () => {
    // dim 6: one SIMD group of 4 and a scalar tail of 2
    const kernel = AdamTableKernel.create([
      { rows: 3, dim: 6 },
      { rows: 1, dim: 5 },
    ])!;
    const [t, d] = kernel.tables as [
      (typeof kernel.tables)[number],
      (typeof kernel.tables)[number],
    ];
    t.weights.set(Float32Array.from({ length: 18 }, (_, k) => Math.sin(k + 1)));
    t.m.set(Float32Array.from({ length: 18 }, (_, k) => 0.01 * Math.cos(k)));
    t.v.set(Float32Array.from({ length: 18 }, (_, k) => 1e-4 * (k + 1)));
    d.weights.set([0.5, -0.25, 1, 2, -3]);
    const before = { w: t.weights.slice(), m: t.m.slice(), v: t.v.slice() };
    // gradient row 0 is table row 2, row 1 is table row 0; table row 1 gets none
    const grad = Float32Array.from({ length: 12 }, (_, k) => 0.1 * (k - 6));
    kernel.stepRows(0, Int32Array.of(2, 0), grad, scalars);
    const gradOf = (r: number, j: number): number =>
      r === 2 ? grad[j]! : r === 0 ? grad[6 + j]! : 0;
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 6; j++) {
        const k = r * 6 + j;
        const [w, m, v] = torchAdam(
          before.w[k]!,
          before.m[k]!,
          before.v[k]!,
          gradOf(r, j),
          scalars,
        );
        expect([t.weights[k], t.m[k], t.v[k]]).toEqual([w, m, v]);
      }
    }
    const dense = Float32Array.of(1, -1, 0.5, 0, 2);
    const dw = d.weights.slice();
    kernel.stepWhole(1, dense, scalars);
    for (let k = 0; k < 5; k++)
      expect(d.weights[k]).toBe(torchAdam(dw[k]!, 0, 0, dense[k]!, scalars)[0]);
  });

  it('rejects a row outside the table and stays usable (no row left with a stale gradient slot)', () => {
    const kernel = AdamTableKernel.create([{ rows: 2, dim: 3 }])!;
    const t = kernel.tables[0]!;
    t.weights.fill(1);
    expect(() =>
      kernel.stepRows(0, Int32Array.of(0, 2), new Float32Array(6).fill(1), scalars),
    ).toThrow(/row 2 is outside 0..1/);
    expect(() => kernel.stepRows(0, Int32Array.of(0), new Float32Array(2), scalars)).toThrow(
      RangeError,
    );
    expect(() => kernel.stepWhole(3, new Float32Array(6), scalars)).toThrow(/no table 3/);
    // row 0 had slot 0 during the failed call: a step without gradients must not read it
    kernel.stepRows(0, new Int32Array(0), new Float32Array(0), { ...scalars, l2: 0, decay: 1 });
    expect([...t.weights]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('stepOnlyRows updates only the listed rows, from their gradient rows, in list order', () => {
    // dim 7: one SIMD group of 4 and a scalar tail of 3; dim 1: the tail alone
    for (const dim of [7, 1]) {
      const rows = 6;
      const kernel = AdamTableKernel.create([
        { rows: 2, dim: 5 }, // another table first: its buffers come before this one's
        { rows, dim },
      ])!;
      const t = kernel.tables[1]!;
      const n = rows * dim;
      t.weights.set(Float32Array.from({ length: n }, (_, k) => Math.sin(k + 1)));
      t.m.set(Float32Array.from({ length: n }, (_, k) => 0.01 * Math.cos(k)));
      t.v.set(Float32Array.from({ length: n }, (_, k) => 1e-4 * (k + 1)));
      const other = kernel.tables[0]!;
      other.weights.fill(3);
      let w = t.weights.slice();
      let m = t.m.slice();
      let v = t.v.slice();
      // not sorted, row 4 twice (updated twice, in order), rows 1 and 5 not listed
      const list = Int32Array.of(3, 0, 4, 2, 4);
      const grad = Float32Array.from({ length: list.length * dim }, (_, k) => 0.1 * (k - 9));
      kernel.stepOnlyRows(1, list, grad, scalars);
      list.forEach((r, k) => {
        for (let j = 0; j < dim; j++) {
          const at = r * dim + j;
          [w[at], m[at], v[at]] = torchAdam(w[at]!, m[at]!, v[at]!, grad[k * dim + j]!, scalars);
        }
      });
      expect([...t.weights]).toEqual([...w]);
      expect([...t.m]).toEqual([...m]);
      expect([...t.v]).toEqual([...v]);
      expect([...other.weights]).toEqual(new Array<number>(10).fill(3));
      // a list longer than the table goes through in chunks, with the same result as one loop
      const long = Int32Array.from({ length: 2 * rows + 1 }, (_, k) => (k * 5) % rows);
      const longGrad = Float32Array.from({ length: long.length * dim }, (_, k) => Math.cos(k));
      w = t.weights.slice();
      m = t.m.slice();
      v = t.v.slice();
      kernel.stepOnlyRows(1, long, longGrad, scalars);
      long.forEach((r, k) => {
        for (let j = 0; j < dim; j++) {
          const at = r * dim + j;
          [w[at], m[at], v[at]] = torchAdam(
            w[at]!,
            m[at]!,
            v[at]!,
            longGrad[k * dim + j]!,
            scalars,
          );
        }
      });
      expect([...t.weights]).toEqual([...w]);
      expect([...t.v]).toEqual([...v]);
    }
  });

  it('stepOnlyRows catches each listed row up by its factors first, in float32', () => {
    for (const dim of [7, 1]) {
      const kernel = AdamTableKernel.create([{ rows: 5, dim }])!;
      const t = kernel.tables[0]!;
      const n = 5 * dim;
      t.weights.set(Float32Array.from({ length: n }, (_, k) => Math.sin(k + 1)));
      t.m.set(Float32Array.from({ length: n }, (_, k) => 0.01 * Math.cos(k)));
      t.v.set(Float32Array.from({ length: n }, (_, k) => 1e-4 * (k + 1)));
      const w = t.weights.slice();
      const m = t.m.slice();
      const v = t.v.slice();
      const list = Int32Array.of(4, 1, 2);
      const grad = Float32Array.from({ length: 3 * dim }, (_, k) => 0.1 * (k - 4));
      // row 4 and row 2 caught up; row 1 already current (the identity)
      const factors = Float32Array.of(0.97, 0.4, 0.8, 0.003, 1, 1, 1, 0, 0.999, 0.9, 0.99, -0.01);
      kernel.stepOnlyRows(0, list, grad, scalars, factors);
      list.forEach((r, k) => {
        const [fw, fm, fv, fd] = factors.subarray(4 * k, 4 * k + 4) as unknown as number[];
        for (let j = 0; j < dim; j++) {
          const at = r * dim + j;
          let [wj, mj, vj] = [w[at]!, m[at]!, v[at]!];
          if (k !== 1) {
            wj = f(f(wj * fw!) - f(f(fd! * mj) / f(f(Math.sqrt(vj)) + f(scalars.eps))));
            mj = f(mj * fm!);
            vj = f(vj * fv!);
          }
          [w[at], m[at], v[at]] = torchAdam(wj, mj, vj, grad[k * dim + j]!, scalars);
        }
      });
      expect([...t.weights]).toEqual([...w]);
      expect([...t.m]).toEqual([...m]);
      expect([...t.v]).toEqual([...v]);
      expect(() => kernel.stepOnlyRows(0, list, grad, scalars, new Float32Array(11))).toThrow(
        /11 catch-up factors for 3 rows/,
      );
    }
  });

  it('stepOnlyRows rejects a bad list before changing anything', () => {
    const kernel = AdamTableKernel.create([{ rows: 3, dim: 2 }])!;
    const t = kernel.tables[0]!;
    t.weights.fill(1);
    expect(() =>
      kernel.stepOnlyRows(0, Int32Array.of(0, 3), new Float32Array(4).fill(1), scalars),
    ).toThrow(/row 3 is outside 0..2/);
    expect(() =>
      kernel.stepOnlyRows(0, Int32Array.of(1, -1), new Float32Array(4).fill(1), scalars),
    ).toThrow(/row -1 is outside/);
    expect(() => kernel.stepOnlyRows(0, Int32Array.of(0, 1), new Float32Array(3), scalars)).toThrow(
      /2 rows with 3 gradient floats/,
    );
    expect([...t.weights]).toEqual([1, 1, 1, 1, 1, 1]);
    expect([...t.m]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('is unavailable when the kernels are switched off', () => {
    setWasmKernelsEnabled(false);
    expect(AdamTableKernel.create([{ rows: 2, dim: 2 }])).toBeUndefined();
  });
});
