import { describe, expect, it } from 'vitest';
import { BlockedDotKernel } from './blocked-dot-kernel.js';

// 21 items (two full panels and a partial third), f 5, six users (a group of four and a partial one)
const nItems = 21;
const f = 5;
const nUsers = 6;
const factors = Float32Array.from({ length: nItems * f }, (_, k) => Math.sin(1.3 * k + 0.2));
const bias = Float32Array.from({ length: nItems }, (_, i) => 0.1 * Math.cos(i));
const userRows = Float32Array.from({ length: nUsers * f }, (_, k) => Math.cos(0.7 * k));

/** Every (row, item, score) entry of one call, with the users' bases and cuts given. */
function entries(
  kernel: BlockedDotKernel,
  cut: number[],
  item0: number,
): { row: number; item: number; score: number }[] {
  kernel.users.set(userRows);
  for (let r = 0; r < nUsers; r++) kernel.userBase[r] = 0.5 - 0.1 * r;
  kernel.cut.set(cut);
  const n = kernel.score(nUsers, item0);
  return Array.from({ length: n }, (_, e) => ({
    row: kernel.outRow[e]!,
    item: kernel.outItem[e]!,
    score: kernel.outScore[e]!,
  }));
}

/** The same scores in plain float64 (with `w`: the ReLU form). */
function expected(cut: number[], from: number, to: number, w?: Float32Array) {
  const out: { row: number; item: number; score: number }[] = [];
  for (let q = 0; q < 8; q += 4)
    for (let p = from / 8; p < Math.ceil(Math.min(to, nItems) / 8); p++)
      for (let r = q; r < Math.min(q + 4, nUsers); r++)
        for (let i = 8 * p; i < Math.min(8 * p + 8, nItems); i++) {
          let s = 0.5 - 0.1 * r + bias[i]!;
          for (let d = 0; d < f; d++)
            s += w
              ? w[d]! * Math.max(userRows[r * f + d]! + factors[i * f + d]!, 0)
              : userRows[r * f + d]! * factors[i * f + d]!;
          if (s > cut[r]!) out.push({ row: r, item: i, score: s });
        }
  return out;
}

describe('BlockedDotKernel', () => {
  for (const wasm of [true, false]) {
    it(`returns every score above its user's cut, grouped by four users, items ascending (${wasm ? 'WebAssembly' : 'JavaScript twin'})`, () => {
      const kernel = BlockedDotKernel.create(
        { factors, bias, nItems, nFactors: f },
        { wasm, blockUsers: 8, blockItems: 16 },
      );
      expect(kernel.usesWasm).toBe(wasm);
      const cut = [-Infinity, 0, 0.5, 1, -0.5, 2];
      for (const item0 of [0, 16]) {
        const got = entries(kernel, cut, item0);
        const want = expected(cut, item0, item0 + 16);
        expect(got.map((e) => [e.row, e.item])).toEqual(want.map((e) => [e.row, e.item]));
        got.forEach((e, k) => expect(e.score).toBeCloseTo(want[k]!.score, 5));
      }
      // padding items (21..23) never come back, even under a cut of −∞
      expect(entries(kernel, cut, 16).some((e) => e.item >= nItems)).toBe(false);
    });
  }

  for (const wasm of [true, false]) {
    it(`scores Σ w·max(user + item, 0) with reluWeights (${wasm ? 'WebAssembly' : 'JavaScript twin'})`, () => {
      const w = Float32Array.from({ length: f }, (_, d) => 0.5 - 0.3 * d);
      const kernel = BlockedDotKernel.create(
        { factors, bias, nItems, nFactors: f, reluWeights: w },
        { wasm, blockUsers: 8, blockItems: 16 },
      );
      const cut = [-Infinity, 0, -0.5, -1, -Infinity, 0.2];
      for (const item0 of [0, 16]) {
        const got = entries(kernel, cut, item0);
        const want = expected(cut, item0, item0 + 16, w);
        expect(got.map((e) => [e.row, e.item])).toEqual(want.map((e) => [e.row, e.item]));
        got.forEach((e, k) => expect(e.score).toBeCloseTo(want[k]!.score, 5));
      }
    });
  }

  it('scores without item biases, and refuses a misaligned item range', () => {
    const kernel = BlockedDotKernel.create({ factors, nItems, nFactors: f }, { blockUsers: 4 });
    kernel.users.set(userRows.subarray(0, f));
    kernel.userBase[0] = 0;
    kernel.cut[0] = -Infinity;
    expect(kernel.score(1, 0)).toBe(nItems);
    let s = 0;
    for (let d = 0; d < f; d++) s += userRows[d]! * factors[3 * f + d]!;
    expect(kernel.outScore[3]).toBeCloseTo(s, 5);
    expect(() => kernel.score(1, 3)).toThrow(RangeError);
    expect(() => kernel.score(5, 0)).toThrow(RangeError);
  });

  it('int16: every score within quantizationErrorBound (plus float32 rounding) of the exact one, the same entries from both implementations, odd f padded', () => {
    // 37 factors (odd: the last pair is half padding), items of very different norms, 45 items
    const fq = 37;
    const n = 45;
    let x = 7;
    const next = (): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31 - 0.5;
    };
    const items = Float32Array.from(
      { length: n * fq },
      (_, k) => next() * (1 + (Math.floor(k / fq) % 5) ** 2),
    );
    const itemBias = Float32Array.from({ length: n }, () => next());
    const users = Float32Array.from({ length: 6 * fq }, (_, k) => next() * (k < fq ? 1e-3 : 1));
    const run = (wasm: boolean) => {
      const kernel = BlockedDotKernel.create(
        { factors: items, bias: itemBias, nItems: n, nFactors: fq },
        { wasm, precision: 'int16', blockUsers: 8, blockItems: 48 },
      );
      expect(kernel.precision).toBe('int16');
      expect(kernel.usesWasm).toBe(wasm);
      // 2 · 19 · L² ≤ 2³¹ − 1
      expect(kernel.quantizationLevels).toBe(7517);
      kernel.users.set(users);
      for (let r = 0; r < 6; r++) kernel.userBase[r] = 0.25 * r;
      kernel.cut.fill(-Infinity);
      const count = kernel.score(6, 0);
      expect(count).toBe(6 * n);
      return Array.from({ length: count }, (_, e) => ({
        row: kernel.outRow[e]!,
        item: kernel.outItem[e]!,
        score: kernel.outScore[e]!,
        bound: kernel.quantizationErrorBound(users, kernel.outRow[e]! * fq),
      }));
    };
    const [simd, twin] = [run(true), run(false)];
    expect(simd.map((e) => [e.row, e.item])).toEqual(twin.map((e) => [e.row, e.item]));
    let worst = 0;
    let largestError = 0;
    for (const [k, e] of simd.entries()) {
      let dot = 0;
      let terms = Math.abs(0.25 * e.row) + Math.abs(itemBias[e.item]!);
      for (let d = 0; d < fq; d++) {
        const t = users[e.row * fq + d]! * items[e.item * fq + d]!;
        dot += t;
        terms += Math.abs(t);
      }
      const exact = 0.25 * e.row + itemBias[e.item]! + dot;
      const rounding = 2 ** -20 * terms;
      for (const score of [e.score, twin[k]!.score]) {
        const error = Math.abs(score - exact);
        expect(error).toBeLessThanOrEqual(e.bound + rounding);
        worst = Math.max(worst, error / (e.bound + rounding));
        largestError = Math.max(largestError, error);
      }
    }
    // the bound is not vacuous: within 25× of the worst error seen, and scores really are
    // quantised (errors far above float32 rounding)
    expect(worst).toBeGreaterThan(0.04);
    expect(largestError).toBeGreaterThan(1e-5);
  });

  it('int16: refuses reluWeights and an unknown precision; float32 has no quantisation error', () => {
    const w = new Float32Array(f).fill(1);
    expect(() =>
      BlockedDotKernel.create(
        { factors, nItems, nFactors: f, reluWeights: w },
        { precision: 'int16' },
      ),
    ).toThrow(/int16/);
    expect(() =>
      BlockedDotKernel.create(
        { factors, nItems, nFactors: f },
        { precision: 'int8' as unknown as 'int16' },
      ),
    ).toThrow(/precision/);
    const plain = BlockedDotKernel.create({ factors, nItems, nFactors: f });
    expect(plain.precision).toBe('float32');
    expect(plain.quantizationErrorBound(userRows)).toBe(0);
    const q = BlockedDotKernel.create({ factors, nItems, nFactors: f }, { precision: 'int16' });
    expect(q.quantizationErrorBound(Float32Array.of(1, Number.NaN, 0, 0, 0))).toBe(Infinity);
  });

  for (const precision of ['int16', 'float32'] as const)
    it(`setUser and moveUser give the entries of rows written directly (${precision})`, () => {
      const make = () =>
        BlockedDotKernel.create(
          { factors, bias, nItems, nFactors: f },
          { precision, blockUsers: 8, blockItems: 16 },
        );
      const cut = [-Infinity, 0, 0.5, 1, -0.5, 2];
      const direct = make();
      const want = entries(direct, cut, 0);
      const viaSet = make();
      // rows written in reverse into rows 0..5 of a block that held other rows first, then row 6
      // moved onto row 5 after being set to user 5's row
      for (let r = 0; r < 7; r++) viaSet.setUser(r, userRows, ((r + 3) % nUsers) * f, 9);
      for (let r = 0; r < 5; r++) viaSet.setUser(r, userRows, r * f, 0.5 - 0.1 * r);
      viaSet.setUser(6, userRows, 5 * f, 0);
      viaSet.moveUser(6, 5);
      viaSet.userBase[5] = 0;
      viaSet.cut.set(cut);
      const n = viaSet.score(nUsers, 0);
      expect(n).toBe(want.length);
      for (let e = 0; e < n; e++) {
        expect([viaSet.outRow[e], viaSet.outItem[e]]).toEqual([want[e]!.row, want[e]!.item]);
      }
    });
});
