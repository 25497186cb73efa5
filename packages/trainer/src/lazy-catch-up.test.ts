import { describe, expect, it } from 'vitest';
import { LazyCatchUp } from './lazy-catch-up.js';

/** A step's scalars as Adam gives them to {@link LazyCatchUp.beginStep}. */
interface StepScalars {
  lr: number;
  wd: number;
  beta1: number;
  bc1: number;
  bc2: number;
}

/**
 * The catch-up factors (weight, m, v, drift) from the end of step `last` to the end of `target`,
 * written out forward, step by step, for the first 96 skipped steps and in closed form after.
 */
function referenceFactors(
  steps: StepScalars[],
  beta2: number,
  last: number,
  target: number,
): number[] {
  const head = Math.min(target - last, 96);
  let m = 1;
  let v = 1;
  let weight = 1;
  let drift = 0;
  for (let t = last + 1; t <= last + head; t++) {
    const s = steps[t - 1]!;
    const decay = 1 - s.lr * s.wd;
    m *= s.beta1;
    v *= beta2;
    weight *= decay;
    drift = drift * decay + ((s.lr / s.bc1) * Math.sqrt(s.bc2) * m) / Math.sqrt(v);
  }
  for (let t = last + head + 1; t <= target; t++) {
    const s = steps[t - 1]!;
    const decay = 1 - s.lr * s.wd;
    weight *= decay;
    drift *= decay;
    m *= s.beta1;
    v *= beta2;
  }
  return [weight, m, v, drift];
}

function closeTo(actual: ArrayLike<number>, expected: number[], relative: number): void {
  expected.forEach((e, k) => {
    const a = actual[k]!;
    expect(Math.abs(a - e)).toBeLessThanOrEqual(relative * Math.abs(e) + 1e-300);
  });
}

describe('LazyCatchUp', () => {
  it('gives each row the factors of its skipped steps, for gaps below, at and past the drift horizon', () => {
    const rows = 40;
    const beta2 = 0.99;
    const catchUp = new LazyCatchUp(rows, beta2);
    const steps: StepScalars[] = [];
    const lastStep = new Int32Array(rows);
    let seed = 5;
    const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const periods = [1, 2, 3, 7, 40, 95, 96, 97, 98, 150, 310];
    const out = new Float64Array(4);
    let checked = 0;
    const gaps = new Set<number>();
    for (let t = 1; t <= 700; t++) {
      // a one-cycle-like schedule: lr and β1 change every step
      const s: StepScalars = {
        lr: 0.01 * (0.2 + Math.sin((Math.PI * t) / 700)),
        wd: 0.1,
        beta1: 0.95 - 0.1 * Math.sin((Math.PI * t) / 700),
        bc1: 1 - 0.9 ** t,
        bc2: 1 - beta2 ** t,
      };
      steps.push(s);
      catchUp.beginStep(s.lr, s.wd, s.beta1, s.bc1, s.bc2);
      // the first rows every `periods[r]` steps (gaps around the horizon of 96 included), the
      // others with probability ~ 1/(r+1): gaps from 1 to several hundred steps
      for (let r = 0; r < rows; r++) {
        const period = periods[r];
        if (period ? t % period !== 0 : rand() * (r + 1) >= 1.5) continue;
        const moved = catchUp.catchUpFactors(r, out, 0);
        const last = lastStep[r]!;
        lastStep[r] = t;
        if (last >= t - 1) {
          expect(moved).toBe(false);
          expect([...out]).toEqual([1, 1, 1, 0]);
        } else {
          expect(moved).toBe(true);
          closeTo(out, referenceFactors(steps, beta2, last, t - 1), 1e-12);
          gaps.add(t - 1 - last);
          checked++;
        }
        // touched twice in one step: nothing more to catch up
        expect(catchUp.catchUpFactors(r, out, 0)).toBe(false);
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(Math.min(...gaps)).toBe(1);
    for (const gap of [95, 96, 97, 98]) expect(gaps.has(gap)).toBe(true);
    expect(Math.max(...gaps)).toBeGreaterThan(200);
  });

  it('flush brings every row to the end of the step, then starts a new clock', () => {
    const beta2 = 0.999;
    const dim = 3;
    const rows = 4;
    const eps = 1e-8;
    const catchUp = new LazyCatchUp(rows, beta2);
    const w = Float32Array.from({ length: rows * dim }, (_, k) => Math.sin(k + 1));
    const m = Float32Array.from({ length: rows * dim }, (_, k) => 0.01 * Math.cos(k));
    const v = Float32Array.from({ length: rows * dim }, (_, k) => 1e-4 * (k + 1));
    const steps: StepScalars[] = [];
    for (let t = 1; t <= 150; t++) {
      const s = { lr: 0.01, wd: 0.5, beta1: 0.9, bc1: 1 - 0.9 ** t, bc2: 1 - beta2 ** t };
      steps.push(s);
      catchUp.beginStep(s.lr, s.wd, s.beta1, s.bc1, s.bc2);
      // row 0 every step, row 1 at steps 1 and 100, rows 2 and 3 never
      if (t === 1 || t === 100) catchUp.catchUpRow(1, dim, w, m, v, eps);
      catchUp.catchUpRow(0, dim, w, m, v, eps);
    }
    const before = { w: w.slice(), m: m.slice(), v: v.slice() };
    catchUp.flush(dim, w, m, v, eps);
    const lasts = [150, 100, 0, 0];
    for (let r = 0; r < rows; r++) {
      const [fw, fm, fv, fd] =
        r === 0 ? [1, 1, 1, 0] : referenceFactors(steps, beta2, lasts[r]!, 150);
      for (let j = 0; j < dim; j++) {
        const k = r * dim + j;
        const mk = before.m[k]!;
        const vk = before.v[k]!;
        expect(w[k]).toBeCloseTo(before.w[k]! * fw! - (fd! * mk) / (Math.sqrt(vk) + eps), 6);
        expect(m[k]! / (mk * fm!)).toBeCloseTo(1, 6);
        expect(v[k]! / (vk * fv!)).toBeCloseTo(1, 6);
      }
    }
    expect(catchUp.step).toBe(0);
    // a new clock: a row touched at the first step after the flush is current
    catchUp.beginStep(0.01, 0.5, 0.9, 0.1, 0.001);
    const out = new Float64Array(4);
    expect(catchUp.catchUpFactors(2, out, 0)).toBe(false);
  });
});
