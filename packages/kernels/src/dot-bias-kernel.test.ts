import { describe, expect, it } from 'vitest';
import { KernelInstance } from './kernel-instance.js';

// The EmbeddingDotBias training kernels (`dotBiasPass`, `dotBiasAdam`) on interleaved rows: each
// row is [weights (f), bias, pad | m … | v …], sections of S = f + 1 rounded up to 4 floats.
const fr = Math.fround;

describe('dotBiasPass and dotBiasAdam', () => {
  // f 6: one SIMD group of 4 and a scalar tail of 2; S 8
  const f = 6;
  const S = 8;
  const nUsers = 3;
  const nItems = 4;
  const users = [0, 2, 0, 1, 2];
  const items = [3, 3, 1, 0, 3];
  const ratings = [4, 2.5, 3, 5, 1];
  const n = users.length;
  const [low, span] = [0, 5.5];

  function setUp() {
    const k = KernelInstance.create(1 << 16)!;
    const u = k.floats(3 * S * nUsers);
    const i = k.floats(3 * S * nItems);
    const fill = (t: Float32Array, rows: number, seed: number): void => {
      for (let r = 0; r < rows; r++)
        for (let d = 0; d <= f; d++) {
          t[3 * S * r + d] = 0.3 * Math.sin(seed + 7 * r + d);
          t[3 * S * r + S + d] = 0.01 * Math.cos(seed + r + d);
          t[3 * S * r + 2 * S + d] = 1e-4 * (1 + r + d);
        }
    };
    fill(u.view, nUsers, 1);
    fill(i.view, nItems, 2);
    const col = (values: number[], float: boolean) => {
      const b = float ? k.floats(values.length) : k.ints(values.length);
      b.view.set(values);
      return b;
    };
    const slotU = k.ints(nUsers);
    const slotI = k.ints(nItems);
    slotU.view.fill(-1);
    slotI.view.fill(-1);
    return {
      k,
      u,
      i,
      userIdx: col(users, false),
      itemIdx: col(items, false),
      rating: col(ratings, true),
      gradU: k.floats(n * S),
      gradI: k.floats(n * S),
      slotU,
      slotI,
      listU: k.ints(n),
      listI: k.ints(n),
      counts: k.ints(4),
    };
  }

  it('sums each distinct row’s gradient (float64 reference) and lists rows in first-appearance order', () => {
    const s = setUp();
    const u0 = s.u.view.slice();
    const i0 = s.i.view.slice();
    const sse = s.k.exports.dotBiasPass(
      s.u.byteOffset,
      s.i.byteOffset,
      12 * S,
      S,
      f,
      n,
      s.userIdx.byteOffset,
      s.itemIdx.byteOffset,
      s.rating.byteOffset,
      low,
      span,
      1,
      s.gradU.byteOffset,
      s.gradI.byteOffset,
      s.slotU.byteOffset,
      s.slotI.byteOffset,
      s.listU.byteOffset,
      s.listI.byteOffset,
      s.counts.byteOffset,
    );
    // reference
    const gu = new Map<number, number[]>();
    const gi = new Map<number, number[]>();
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const ur = 3 * S * users[b]!;
      const ir = 3 * S * items[b]!;
      let res = u0[ur + f]! + i0[ir + f]!;
      for (let d = 0; d < f; d++) res += u0[ur + d]! * i0[ir + d]!;
      const sig = 1 / (1 + Math.exp(-res));
      const err = sig * span + low - ratings[b]!;
      sum += err * err;
      const dres = (2 / n) * err * sig * (1 - sig) * span;
      const add = (m: Map<number, number[]>, row: number, other: Float32Array, at: number) => {
        const g = m.get(row) ?? new Array<number>(f + 1).fill(0);
        for (let d = 0; d < f; d++) g[d]! += dres * other[at + d]!;
        g[f]! += dres;
        m.set(row, g);
      };
      add(gu, users[b]!, i0, ir);
      add(gi, items[b]!, u0, ur);
    }
    expect(sse).toBeCloseTo(sum, 5);
    expect(Array.from(s.counts.view.subarray(0, 2))).toEqual([gu.size, gi.size]);
    expect(Array.from(s.listU.view.subarray(0, gu.size))).toEqual([...gu.keys()]);
    expect(Array.from(s.listI.view.subarray(0, gi.size))).toEqual([...gi.keys()]);
    [...gu.values()].forEach((g, k) =>
      g.forEach((x, d) => expect(s.gradU.view[k * S + d]).toBeCloseTo(x, 6)),
    );
    [...gi.values()].forEach((g, k) =>
      g.forEach((x, d) => expect(s.gradI.view[k * S + d]).toBeCloseTo(x, 6)),
    );
    // the weights are only read
    expect(s.u.view).toEqual(u0);
    expect(s.i.view).toEqual(i0);
  });

  it('updates the listed rows (weights and bias with their own scalars) as adamRows does, and resets their slots', () => {
    const s = setUp();
    const list = [2, 0];
    s.listU.view.set(list);
    list.forEach((row, k) => (s.slotU.view[row] = k));
    s.gradU.view.set(Float32Array.from({ length: 2 * S }, (_, k) => 0.05 * (k - 8)));
    const before = s.u.view.slice();
    // decay 0.99 and stepSize 0.01 for the weights; 1 and 0.02 for the bias; no catch-up
    s.k.exports.dotBiasAdam(
      s.u.byteOffset,
      12 * S,
      S,
      f,
      s.gradU.byteOffset,
      s.listU.byteOffset,
      s.slotU.byteOffset,
      2,
      0,
      0,
      0.99,
      1 - 0.99,
      Math.sqrt(1 - 0.99),
      1e-5,
      0.9,
      1 - 0.9,
      0.01,
      0.99,
      0,
      0.8,
      1 - 0.8,
      0.02,
      1,
      0,
    );
    const adam = (
      w: number,
      m: number,
      v: number,
      g: number,
      b1: number,
      ss: number,
      dc: number,
    ) => {
      w = fr(w * fr(dc));
      m = fr(fr(m * fr(b1)) + fr(g * fr(1 - b1)));
      v = fr(fr(v * fr(0.99)) + fr(fr(fr(1 - 0.99) * g) * g));
      const denom = fr(fr(fr(Math.sqrt(v)) / fr(Math.sqrt(1 - 0.99))) + fr(1e-5));
      return [fr(w - fr(fr(ss) * fr(m / denom))), m, v];
    };
    for (let row = 0; row < nUsers; row++) {
      const k = list.indexOf(row);
      for (let d = 0; d <= f; d++) {
        const at = 3 * S * row + d;
        if (k < 0) {
          expect(s.u.view[at]).toBe(before[at]);
          continue;
        }
        const g = s.gradU.view[k * S + d]!;
        const [w, m, v] =
          d < f
            ? adam(before[at]!, before[at + S]!, before[at + 2 * S]!, g, 0.9, 0.01, 0.99)
            : adam(before[at]!, before[at + S]!, before[at + 2 * S]!, g, 0.8, 0.02, 1);
        expect(s.u.view[at]).toBeCloseTo(w!, 7);
        expect(s.u.view[at + S]).toBeCloseTo(m!, 9);
        expect(s.u.view[at + 2 * S]).toBeCloseTo(v!, 12);
      }
    }
    expect(Array.from(s.slotU.view)).toEqual([-1, -1, -1]);
  });
});
