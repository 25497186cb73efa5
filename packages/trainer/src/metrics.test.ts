import { describe, expect, it } from 'vitest';
import { mae, mse, rmse } from './metrics.js';
import { combinedCosine, oneCycleAt } from './one-cycle.js';

describe('metrics', () => {
  const p = Float32Array.of(3, 4, 2.5);
  const t = Float32Array.of(4, 4, 1.5);
  it('compute MSE, RMSE and MAE by hand', () => {
    expect(mse.compute(p, t)).toBeCloseTo(2 / 3, 10);
    expect(rmse.compute(p, t)).toBeCloseTo(Math.sqrt(2 / 3), 10);
    expect(mae.compute(p, t)).toBeCloseTo(2 / 3, 10);
  });
  it('refuse mismatched shapes instead of broadcasting', () => {
    expect(() => mse.compute(Float32Array.of(1, 2), Float32Array.of(1))).toThrow(
      /2 predictions for 1 targets/,
    );
  });
  it('give NaN for no rows', () => {
    expect(rmse.compute(new Float32Array(0), new Float32Array(0))).toBeNaN();
  });
});

describe('one-cycle schedule (fastai v2)', () => {
  it('starts at lrMax/div, peaks at pctStart, ends at lrMax/divFinal', () => {
    expect(oneCycleAt(5e-3, 0).lr).toBeCloseTo(5e-3 / 25, 12);
    expect(oneCycleAt(5e-3, 0.25).lr).toBeCloseTo(5e-3, 12);
    expect(oneCycleAt(5e-3, 1).lr).toBeCloseTo(5e-3 / 1e5, 12);
    expect(oneCycleAt(5e-3, 0).momentum).toBeCloseTo(0.95, 12);
    expect(oneCycleAt(5e-3, 0.25).momentum).toBeCloseTo(0.85, 12);
    expect(oneCycleAt(5e-3, 1).momentum).toBeCloseTo(0.95, 12);
  });
  it('follows cosine halves in between', () => {
    // halfway through warm-up: the mean of start and peak
    expect(oneCycleAt(1, 0.125).lr).toBeCloseTo((1 / 25 + 1) / 2, 12);
    // halfway through the annealing part: the mean of peak and end
    expect(oneCycleAt(1, 0.625).lr).toBeCloseTo((1 + 1e-5) / 2, 12);
    expect(combinedCosine(0.3, 0, 1, 0, 0.3 + 0.7 / 4)).toBeCloseTo(
      (1 + Math.cos(Math.PI / 4)) / 2,
      12,
    );
  });
});
