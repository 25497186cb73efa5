import { afterEach, describe, expect, it } from 'vitest';
import { setWasmKernelsEnabled } from '@cf/kernels';
import { createParameter } from '@cf/model';
import { createAdam, createAdamW } from './adam.js';
import { createSgd } from './sgd.js';
import { setLrs } from './optimizer.js';

/** PyTorch's Adam on one scalar, written out (torch.optim.Adam, 1.13). */
function referenceAdam(
  w: number,
  grads: number[],
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  wd: number,
  decoupled: boolean,
): number {
  let m = 0;
  let v = 0;
  grads.forEach((g0, t) => {
    const step = t + 1;
    if (decoupled) w *= 1 - lr * wd;
    const g = decoupled ? g0 : g0 + wd * w;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** step) + eps;
    w -= (lr / (1 - b1 ** step)) * (m / denom);
  });
  return w;
}

function table(rows: number, dim: number, fill: number) {
  return createParameter('t', 'embedding', [rows, dim], new Float32Array(rows * dim).fill(fill));
}

describe('Adam', () => {
  it('matches PyTorch Adam with coupled L2 weight decay, step by step', () => {
    const p = createParameter('w', 'dense', [2], Float32Array.of(0.5, -1));
    const opt = createAdam([p], { lr: 0.1, weightDecay: 0.01 });
    const grads = [0.3, -0.2, 0.05];
    for (const g of grads)
      opt.step([{ parameter: p, rows: undefined, values: Float32Array.of(g, 2 * g) }]);
    expect(p.values[0]).toBeCloseTo(
      referenceAdam(0.5, grads, 0.1, 0.9, 0.999, 1e-8, 0.01, false),
      6,
    );
    expect(p.values[1]).toBeCloseTo(
      referenceAdam(
        -1,
        grads.map((g) => 2 * g),
        0.1,
        0.9,
        0.999,
        1e-8,
        0.01,
        false,
      ),
      6,
    );
    expect(opt.stepCount).toBe(3);
  });

  it('matches AdamW (decoupled weight decay) with fastai v2 betas and eps', () => {
    const p = createParameter('w', 'dense', [1], Float32Array.of(2));
    const opt = createAdamW([p], { lr: 0.05, weightDecay: 0.1 });
    const grads = [1, 0.5, -0.25, 0.1];
    for (const g of grads)
      opt.step([{ parameter: p, rows: undefined, values: Float32Array.of(g) }]);
    expect(p.values[0]).toBeCloseTo(referenceAdam(2, grads, 0.05, 0.9, 0.99, 1e-5, 0.1, true), 6);
  });

  it('in dense mode moves and decays every row of an embedding table, as PyTorch does', () => {
    const p = table(3, 2, 1);
    const opt = createAdam([p], { lr: 0.1, weightDecay: 0.5, embeddingUpdate: 'dense' });
    // step 1 touches row 0 only; step 2 touches row 2 only
    opt.step([{ parameter: p, rows: Int32Array.of(0), values: Float32Array.of(1, 1) }]);
    opt.step([{ parameter: p, rows: Int32Array.of(2), values: Float32Array.of(-1, -1) }]);
    expect(p.values[0]).toBeCloseTo(referenceAdam(1, [1, 0], 0.1, 0.9, 0.999, 1e-8, 0.5, false), 6);
    expect(p.values[2]).toBeCloseTo(referenceAdam(1, [0, 0], 0.1, 0.9, 0.999, 1e-8, 0.5, false), 6);
    expect(p.values[4]).toBeCloseTo(
      referenceAdam(1, [0, -1], 0.1, 0.9, 0.999, 1e-8, 0.5, false),
      6,
    );
  });

  it('in lazy mode touches only the rows in the batch', () => {
    const p = table(3, 2, 1);
    const opt = createAdam([p], { lr: 0.1, weightDecay: 0.5, embeddingUpdate: 'lazy' });
    const version = p.version; // 1 when the optimizer moved it into the kernel's memory
    opt.step([{ parameter: p, rows: Int32Array.of(0), values: Float32Array.of(1, 1) }]);
    expect([...p.values.subarray(2)]).toEqual([1, 1, 1, 1]);
    expect(p.values[0]).toBeCloseTo(referenceAdam(1, [1], 0.1, 0.9, 0.999, 1e-8, 0.5, false), 6);
    expect(p.version).toBe(version + 1);
  });

  it('setLrs changes every group lr, or each by a list, and keeps the moments', () => {
    const a = createParameter('a', 'dense', [1], Float32Array.of(1));
    const b = createParameter('b', 'dense', [1], Float32Array.of(1));
    const opt = createAdam([a, b], { groups: [{ parameters: [a] }, { parameters: [b], lr: 0.5 }] });
    opt.step([
      { parameter: a, rows: undefined, values: Float32Array.of(1) },
      { parameter: b, rows: undefined, values: Float32Array.of(1) },
    ]);
    const before = opt.stateDict();
    const moments = before['a']!.map((m) => [...m]);
    setLrs(opt, 0.01);
    expect(opt.groups.map((g) => g.lr)).toEqual([0.01, 0.01]);
    setLrs(opt, [0.02, 0.03]);
    expect(opt.groups.map((g) => g.lr)).toEqual([0.02, 0.03]);
    expect(opt.stateDict()['a']!.map((m) => [...m])).toEqual(moments);
    expect(opt.stepCount).toBe(1);
    expect(() => setLrs(opt, [0.1])).toThrow(/1 learning rates for 2 parameter groups/);
  });

  it('rejects a parameter in two groups and restores its state dict', () => {
    const a = createParameter('a', 'dense', [1], Float32Array.of(1));
    expect(() => createAdam([a], { groups: [{ parameters: [a] }, { parameters: [a] }] })).toThrow(
      /two optimizer groups/,
    );
    const opt = createAdam([a]);
    opt.step([{ parameter: a, rows: undefined, values: Float32Array.of(1) }]);
    const copy = createAdam([createParameter('a', 'dense', [1], Float32Array.of(1))]);
    copy.loadStateDict(opt.stateDict(), opt.stepCount);
    expect(copy.stepCount).toBe(1);
    expect([...copy.stateDict()['a']![0]!]).toEqual([...opt.stateDict()['a']![0]!]);
  });
});

describe('SGD', () => {
  it('matches PyTorch SGD with momentum and L2', () => {
    const p = createParameter('w', 'dense', [1], Float32Array.of(1));
    const opt = createSgd([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
    let w = 1;
    let buf = 0;
    [0.5, -0.5, 0.25].forEach((g0, t) => {
      const g = g0 + 0.1 * w;
      buf = t === 0 ? g : 0.9 * buf + g;
      w -= 0.1 * buf;
      opt.step([{ parameter: p, rows: undefined, values: Float32Array.of(g0) }]);
    });
    expect(p.values[0]).toBeCloseTo(w, 6);
  });
});

// The optimizers run in the WebAssembly kernels when they are available (the default) and in
// JavaScript after setWasmKernelsEnabled(false): the catch-up must hold on both.
describe.each(['wasm', 'JavaScript'])('lazy AdamW catch-up (%s kernels)', (kernels) => {
  afterEach(() => setWasmKernelsEnabled(true));

  it('leaves every row where dense AdamW would, with decay, moment decay and momentum drift replayed', () => {
    setWasmKernelsEnabled(kernels === 'wasm');
    const rows = 12;
    const dim = 3;
    const init = Float32Array.from({ length: rows * dim }, (_, k) => Math.sin(k + 1));
    const dense = createParameter('t', 'embedding', [rows, dim], init.slice());
    const lazy = createParameter('t', 'embedding', [rows, dim], init.slice());
    const options = { lr: 0.01, weightDecay: 0.1, eps: 1e-12 } as const;
    const denseOpt = createAdamW([dense], { ...options, embeddingUpdate: 'dense' });
    const lazyOpt = createAdamW([lazy], { ...options, embeddingUpdate: 'lazy' });
    expect(lazyOpt.usesWasmKernel).toBe(kernels === 'wasm');
    let seed = 7;
    const rand = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let step = 0; step < 200; step++) {
      // a one-cycle-like schedule: lr and β1 change every step
      for (const opt of [denseOpt, lazyOpt]) {
        opt.groups[0]!.lr = 0.01 * (0.2 + Math.sin((Math.PI * step) / 200));
        opt.groups[0]!.momentum = 0.95 - 0.1 * Math.sin((Math.PI * step) / 200);
      }
      const touched = Int32Array.from({ length: rows }, (_, r) => r).filter(() => rand() < 0.3);
      const values = Float32Array.from({ length: touched.length * dim }, () => rand() - 0.5);
      denseOpt.step([{ parameter: dense, rows: touched, values }]);
      lazyOpt.step([{ parameter: lazy, rows: touched, values }]);
      if (step === 100) lazyOpt.flush(); // mid-run flushes (fit flushes every epoch) change nothing
    }
    lazyOpt.flush();
    for (let k = 0; k < rows * dim; k++) expect(lazy.values[k]).toBeCloseTo(dense.values[k]!, 5);
    const [dm, dv] = denseOpt.stateDict()['t']!;
    const [lm, lv] = lazyOpt.stateDict()['t']!;
    for (let k = 0; k < rows * dim; k++) {
      expect(lm![k]).toBeCloseTo(dm![k]!, 6);
      expect(lv![k]! / dv![k]!).toBeCloseTo(1, 5);
    }
  });

  it('without catch-up (coupled L2 Adam) lazy mode leaves untouched rows alone', () => {
    setWasmKernelsEnabled(kernels === 'wasm');
    const p = createParameter('t', 'embedding', [2, 1], Float32Array.of(1, 1));
    const opt = createAdam([p], { lr: 0.1, weightDecay: 0.1, embeddingUpdate: 'lazy' });
    for (let s = 0; s < 5; s++)
      opt.step([{ parameter: p, rows: Int32Array.of(0), values: Float32Array.of(0.5) }]);
    opt.flush();
    expect(p.values[1]).toBe(1);
  });
});
