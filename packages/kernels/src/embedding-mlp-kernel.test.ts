import { describe, expect, it } from 'vitest';
import { EmbeddingMlpKernel } from './embedding-mlp-kernel.js';

/** A tiny deterministic generator for test data. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Reference {
  pred: number[];
  sse: number;
  du: number[][];
  di: number[][];
  dW: number[][];
  db: number[][];
}

/** Straightforward float64 forward/backward of the same network (no skipping of any unit). */
function reference(
  f: number,
  widths: number[],
  W: Float32Array[],
  B: Float32Array[],
  masks: (Float32Array | undefined)[],
  user: Float32Array,
  item: Float32Array,
  target: Float32Array,
  n: number,
  range: number,
  offset: number,
): Reference {
  const L = widths.length - 1;
  const out: Reference = {
    pred: [],
    sse: 0,
    du: [],
    di: [],
    dW: W.map((w) => Array.from(w, () => 0)),
    db: B.map((b) => Array.from(b, () => 0)),
  };
  for (let b = 0; b < n; b++) {
    const xs: number[][] = [];
    const zs: number[][] = [];
    let x = [...user.subarray(b * f, b * f + f), ...item.subarray(b * f, b * f + f)];
    if (masks[0]) x = x.map((v, k) => v * masks[0]![b * 2 * f + k]!);
    for (let l = 0; l < L; l++) {
      xs.push(x);
      const z = Array.from({ length: widths[l + 1]! }, (_, o) => {
        let acc = B[l]![o]!;
        for (let k = 0; k < widths[l]!; k++) acc += W[l]![o * widths[l]! + k]! * x[k]!;
        return acc;
      });
      zs.push(z);
      if (l + 1 < L) {
        const m = masks[l + 1];
        x = z.map((v, o) => Math.max(v, 0) * (m ? m[b * z.length + o]! : 1));
      }
    }
    const sig = 1 / (1 + Math.exp(-zs[L - 1]![0]!));
    const p = sig * range + offset;
    out.pred.push(p);
    const err = p - target[b]!;
    out.sse += err * err;
    let g = [((err * 2) / n) * range * sig * (1 - sig)];
    for (let l = L - 1; l >= 0; l--) {
      const inp = widths[l]!;
      const dx = new Array<number>(inp).fill(0);
      g.forEach((go, o) => {
        out.db[l]![o]! += go;
        for (let k = 0; k < inp; k++) {
          out.dW[l]![o * inp + k]! += go * xs[l]![k]!;
          dx[k]! += go * W[l]![o * inp + k]!;
        }
      });
      const m = masks[l];
      const dm = dx.map((v, k) => v * (m ? m[b * inp + k]! : 1));
      if (l > 0) g = dm.map((v, k) => (zs[l - 1]![k]! > 0 ? v : 0));
      else {
        out.du.push(dm.slice(0, f));
        out.di.push(dm.slice(f));
      }
    }
  }
  return out;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k]!;
    if (Math.abs(actual[k]! - e) > tol * (1 + Math.abs(e)))
      throw new Error(`entry ${k}: ${actual[k]} vs ${e}`);
  }
}

describe('EmbeddingMlpKernel', () => {
  const cases = [
    { name: 'notebook shape, dropout 0.5/0.5', f: 50, hidden: [10], p: [0.5, 0.5] },
    {
      name: 'odd widths (scalar tails), two hidden layers',
      f: 3,
      hidden: [7, 5],
      p: [0.3, 0, 0.4],
    },
    { name: 'no dropout', f: 8, hidden: [6], p: [0, 0] },
  ];
  for (const c of cases) {
    it(`matches a float64 reference forward/backward: ${c.name}`, () => {
      const n = 37;
      const widths = [2 * c.f, ...c.hidden, 1];
      const kernel = EmbeddingMlpKernel.create(
        { nFactors: c.f, hidden: c.hidden, masked: c.p.map((p) => p > 0) },
        64,
      )!;
      expect(kernel).toBeDefined();
      const rand = lcg(7 + c.f);
      const fill = (a: Float32Array, scale: number, shift = 0): void => {
        for (let k = 0; k < a.length; k++) a[k] = (rand() - shift) * scale;
      };
      fill(kernel.user, 0.5);
      fill(kernel.item, 0.5);
      for (let b = 0; b < n; b++) kernel.target[b] = 0.5 + Math.floor(rand() * 10) / 2;
      const W: Float32Array[] = [];
      const B: Float32Array[] = [];
      const masks: (Float32Array | undefined)[] = [];
      kernel.layers.forEach((layer, l) => {
        fill(layer.weight, 1, 0.5);
        fill(layer.bias, 0.2, 0.5);
        W.push(layer.weight.slice());
        B.push(layer.bias.slice());
        if (layer.mask) {
          const keep = 1 / (1 - c.p[l]!);
          for (let k = 0; k < layer.mask.length; k++) layer.mask[k] = rand() >= c.p[l]! ? keep : 0;
          masks.push(layer.mask.slice());
        } else masks.push(undefined);
      });
      const ref = reference(
        c.f,
        widths,
        W,
        B,
        masks,
        kernel.user,
        kernel.item,
        kernel.target,
        n,
        5,
        0.25,
      );
      const sse = kernel.train(n, 5, 0.25);
      expect(sse).toBeCloseTo(ref.sse, 3);
      close(kernel.prediction.subarray(0, n), ref.pred, 1e-5);
      close(kernel.userGrad.subarray(0, n * c.f), ref.du.flat(), 1e-5);
      close(kernel.itemGrad.subarray(0, n * c.f), ref.di.flat(), 1e-5);
      kernel.layers.forEach((layer, l) => {
        close(layer.weightGrad, ref.dW[l]!, 1e-5);
        close(layer.biasGrad, ref.db[l]!, 1e-5);
      });
      // a second pass starts its layer gradients from zero
      kernel.train(n, 5, 0.25);
      close(kernel.layers[0]!.biasGrad, ref.db[0]!, 1e-5);
      // eval mode ignores the masks
      const evalRef = reference(
        c.f,
        widths,
        W,
        B,
        masks.map(() => undefined),
        kernel.user,
        kernel.item,
        kernel.target,
        n,
        5,
        0.25,
      );
      close(kernel.predict(n, 5, 0.25), evalRef.pred, 1e-5);
    });
  }

  it('refuses a batch larger than its capacity', () => {
    const kernel = EmbeddingMlpKernel.create(
      { nFactors: 2, hidden: [3], masked: [false, false] },
      4,
    )!;
    expect(() => kernel.train(5, 1, 0)).toThrow(/1\.\.4/);
  });
});
