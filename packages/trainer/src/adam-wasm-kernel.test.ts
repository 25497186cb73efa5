// Adam / AdamW in the WebAssembly kernels (parameters moved into their memory), dense and lazy mode,
// against the JavaScript path of the same optimizer (kernels switched off): same steps, float32
// tolerances.
import { afterEach, describe, expect, it } from 'vitest';
import { setWasmKernelsEnabled } from '@cf/kernels';
import { createParameter, type Parameter, type ParameterGradient } from '@cf/model';
import { createAdam, createAdamW, type Adam, type AdamOptions } from './adam.js';

/** A small LCG in [0, 1): the same draws for both optimizers. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A table of `rows × dim` and a dense `[3, 5]` weight, values from `seed`. */
function parameters(rows: number, dim: number, seed: number): Parameter[] {
  const rand = lcg(seed);
  const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand() - 0.5);
  return [
    createParameter('table', 'embedding', [rows, dim], values(rows * dim)),
    createParameter('weight', 'dense', [3, 5], values(15)),
  ];
}

/**
 * The gradients of one step: some rows of the table (never rows 0 and 1, so they only ever get
 * weight decay and momentum) and the whole dense weight.
 */
function gradients(params: Parameter[], rand: () => number): ParameterGradient[] {
  const [table, weight] = params as [Parameter, Parameter];
  const rows = table.shape[0]!;
  const dim = table.shape[1]!;
  const touched = Int32Array.from({ length: rows - 2 }, (_, k) => k + 2).filter(() => rand() < 0.4);
  return [
    {
      parameter: table,
      rows: touched,
      values: Float32Array.from({ length: touched.length * dim }, () => rand() - 0.5),
    },
    { parameter: weight, rows: undefined, values: Float32Array.from({ length: 15 }, () => rand()) },
  ];
}

/** The gradients of `source` for the same-named parameters of `target`. */
function rebind(source: ParameterGradient[], target: Parameter[]): ParameterGradient[] {
  return source.map((g) => ({ ...g, parameter: target.find((p) => p.name === g.parameter.name)! }));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k]! - b[k]!));
  return d;
}

function withKernels<T>(on: boolean, make: () => T): T {
  setWasmKernelsEnabled(on);
  try {
    return make();
  } finally {
    setWasmKernelsEnabled(true);
  }
}

type Make = (p: Parameter[], o: AdamOptions) => Adam;

describe('dense Adam in the WebAssembly kernel', () => {
  afterEach(() => setWasmKernelsEnabled(true));

  const cases: [string, Make, AdamOptions][] = [
    ['Adam with coupled L2', createAdam, { lr: 0.01, weightDecay: 0.05 }],
    ['AdamW (fastai defaults)', createAdamW, { lr: 0.01, weightDecay: 0.1 }],
  ];
  for (const [name, make, options] of cases) {
    for (const dim of [50, 3, 1]) {
      it(`${name}, dim ${dim}: equals the JavaScript path over 20 steps, touched rows or not`, () => {
        const js = parameters(9, dim, 3);
        const wasm = parameters(9, dim, 3);
        const jsOpt = withKernels(false, () => make(js, { ...options, embeddingUpdate: 'dense' }));
        const wasmOpt = make(wasm, { ...options, embeddingUpdate: 'dense' });
        expect(jsOpt.usesWasmKernel).toBe(false);
        expect(wasmOpt.usesWasmKernel).toBe(true);
        const rand = lcg(11);
        for (let step = 0; step < 20; step++) {
          // a one-cycle-like schedule: lr and β1 change every step
          for (const opt of [jsOpt, wasmOpt]) {
            opt.groups[0]!.lr = options.lr! * (0.3 + Math.sin((Math.PI * step) / 20));
            opt.groups[0]!.momentum = 0.95 - 0.1 * Math.sin((Math.PI * step) / 20);
          }
          const g = gradients(js, rand);
          jsOpt.step(g);
          wasmOpt.step(rebind(g, wasm));
        }
        const jsState = jsOpt.stateDict();
        const wasmState = wasmOpt.stateDict();
        js.forEach((p, k) => {
          const q = wasm[k]!;
          // a few float32 ulps (the JavaScript path rounds once per value, the kernel per op)
          expect(maxAbsDiff(q.values, p.values)).toBeLessThan(5e-7);
          const [jm, jv] = jsState[p.name]!;
          const [wm, wv] = wasmState[p.name]!;
          expect(maxAbsDiff(wm!, jm!)).toBeLessThan(5e-7);
          expect(maxAbsDiff(wv!, jv!)).toBeLessThan(1e-7);
        });
        // the untouched rows moved (decay and momentum), as in PyTorch's dense Adam
        const initial = parameters(9, dim, 3)[0]!.values;
        expect(wasm[0]!.values[0]).not.toBe(initial[0]);
      });
    }
  }

  for (const mode of ['dense', 'lazy'] as const) {
    it(`${mode} mode moves each parameter into its memory once: same values, version bumped`, () => {
      const params = parameters(4, 3, 5);
      const before = params.map((p) => ({ array: p.values, copy: p.values.slice(), v: p.version }));
      const opt = createAdam(params, { embeddingUpdate: mode });
      expect(opt.usesWasmKernel).toBe(true);
      params.forEach((p, k) => {
        expect(p.values).not.toBe(before[k]!.array);
        expect(p.values.buffer).not.toBe(before[k]!.array.buffer);
        expect([...p.values]).toEqual([...before[k]!.copy]);
        expect(p.version).toBe(before[k]!.v + 1);
      });
    });
  }

  it('leaves the parameters where they are without the kernels', () => {
    const params = parameters(4, 3, 5);
    const arrays = params.map((p) => p.values);
    for (const mode of ['dense', 'lazy'] as const) {
      const js = withKernels(false, () => createAdam(params, { embeddingUpdate: mode }));
      expect(js.usesWasmKernel).toBe(false);
    }
    params.forEach((p, k) => expect(p.values).toBe(arrays[k]));
  });

  it('round-trips its state through stateDict / loadStateDict', () => {
    const options = { lr: 0.02, weightDecay: 0.1, embeddingUpdate: 'dense' } as const;
    const a = parameters(6, 5, 8);
    const optA = createAdamW(a, options);
    const rand = lcg(2);
    for (let s = 0; s < 5; s++) optA.step(gradients(a, rand));
    // a checkpoint: copies of the weights and the moments
    const state = Object.fromEntries(
      Object.entries(optA.stateDict()).map(([n, ms]) => [n, ms.map((m) => m.slice())]),
    );
    const b = parameters(6, 5, 99);
    b.forEach((p, k) => p.values.set(a[k]!.values));
    const optB = createAdamW(b, options);
    optB.loadStateDict(state, optA.stepCount);
    expect(optB.stepCount).toBe(5);
    for (let s = 0; s < 3; s++) {
      const g = gradients(a, rand);
      optA.step(g);
      optB.step(rebind(g, b));
    }
    a.forEach((p, k) => expect([...b[k]!.values]).toEqual([...p.values]));
    const sa = optA.stateDict();
    const sb = optB.stateDict();
    for (const name of Object.keys(sa)) {
      expect([...sb[name]![0]!]).toEqual([...sa[name]![0]!]);
      expect([...sb[name]![1]!]).toEqual([...sa[name]![1]!]);
    }
    expect(() => optB.loadStateDict({}, 1)).toThrow(/missing or has the wrong size/);
  });

  it('takes its parameters back when a second optimizer moved them, and goes on from their values', () => {
    const options = { lr: 0.05, embeddingUpdate: 'dense' } as const;
    const wasm = parameters(5, 4, 4);
    const js = parameters(5, 4, 4);
    const [first, second] = [createAdam(wasm, options), createAdam(wasm, options)];
    const [jsFirst, jsSecond] = withKernels(false, () => [
      createAdam(js, options),
      createAdam(js, options),
    ]);
    const rand = lcg(6);
    for (const [w, j] of [
      [first, jsFirst],
      [second, jsSecond],
      [first, jsFirst],
    ] as const) {
      const g = gradients(js, rand);
      j.step(g);
      w.step(rebind(g, wasm));
    }
    js.forEach((p, k) => expect(maxAbsDiff(wasm[k]!.values, p.values)).toBeLessThan(5e-7));
  });
});

/**
 * Lazy-mode gradients of one step: rows 2.. of the table in a shuffled order (never rows 0 and 1,
 * so they are never touched), each with probability 0.4, so rows recur across steps; and the
 * whole dense weight.
 */
function lazyGradients(params: Parameter[], rand: () => number): ParameterGradient[] {
  const [table, weight] = params as [Parameter, Parameter];
  const rows = table.shape[0]!;
  const dim = table.shape[1]!;
  const touched = Int32Array.from({ length: rows - 2 }, (_, k) => k + 2).filter(() => rand() < 0.4);
  for (let k = touched.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [touched[k], touched[j]] = [touched[j]!, touched[k]!];
  }
  return [
    {
      parameter: table,
      rows: touched,
      values: Float32Array.from({ length: touched.length * dim }, () => rand() - 0.5),
    },
    { parameter: weight, rows: undefined, values: Float32Array.from({ length: 15 }, () => rand()) },
  ];
}

describe('lazy Adam in the WebAssembly kernel', () => {
  afterEach(() => setWasmKernelsEnabled(true));

  const cases: [string, Make, AdamOptions, boolean][] = [
    ['Adam with coupled L2', createAdam, { lr: 0.01, weightDecay: 0.05 }, false],
    ['AdamW with the lazy catch-up', createAdamW, { lr: 0.01, weightDecay: 0.1 }, true],
  ];
  for (const [name, make, options, catchUp] of cases) {
    // dim 50: twelve SIMD groups and a scalar tail of 2; dim 3 and 1: the scalar tail alone
    for (const dim of [50, 3, 1]) {
      it(`${name}, dim ${dim}: equals the JavaScript path over 20 steps, rows touched or not`, () => {
        const rows = 12;
        const js = parameters(rows, dim, 3);
        const wasm = parameters(rows, dim, 3);
        const initial = parameters(rows, dim, 3)[0]!.values;
        const jsOpt = withKernels(false, () => make(js, { ...options, embeddingUpdate: 'lazy' }));
        const wasmOpt = make(wasm, { ...options, embeddingUpdate: 'lazy' });
        expect(jsOpt.usesWasmKernel).toBe(false);
        expect(wasmOpt.usesWasmKernel).toBe(true);
        const rand = lcg(17);
        const check = (): void =>
          js.forEach((p, k) => expect(maxAbsDiff(wasm[k]!.values, p.values)).toBeLessThan(5e-7));
        for (let step = 0; step < 20; step++) {
          // a one-cycle-like schedule: lr and β1 change every step
          for (const opt of [jsOpt, wasmOpt]) {
            opt.groups[0]!.lr = options.lr! * (0.3 + Math.sin((Math.PI * step) / 20));
            opt.groups[0]!.momentum = 0.95 - 0.1 * Math.sin((Math.PI * step) / 20);
          }
          const g = lazyGradients(js, rand);
          jsOpt.step(g);
          wasmOpt.step(rebind(g, wasm));
          if (step === 9) check(); // before any flush: the catch-up runs on touched rows only
        }
        check();
        // rows 0 and 1 were never touched: lazy mode has not moved them (nor their moments)
        const table = wasm[0]!.values;
        expect([...table.subarray(0, 2 * dim)]).toEqual([...initial.subarray(0, 2 * dim)]);
        const jsState = jsOpt.stateDict(); // flushes: AdamW's catch-up reaches every row
        const wasmState = wasmOpt.stateDict();
        js.forEach((p, k) => {
          const q = wasm[k]!;
          expect(maxAbsDiff(q.values, p.values)).toBeLessThan(5e-7);
          const [jm, jv] = jsState[p.name]!;
          const [wm, wv] = wasmState[p.name]!;
          expect(maxAbsDiff(wm!, jm!)).toBeLessThan(5e-7);
          expect(maxAbsDiff(wv!, jv!)).toBeLessThan(1e-7);
        });
        const untouched = [...table.subarray(0, 2 * dim)];
        if (catchUp) {
          // the flush decayed and drifted them as dense AdamW would have
          expect(untouched).not.toEqual([...initial.subarray(0, 2 * dim)]);
        } else {
          expect(untouched).toEqual([...initial.subarray(0, 2 * dim)]);
          expect([...wasmState['table']![1]!.subarray(0, 2 * dim)]).toEqual(
            new Array<number>(2 * dim).fill(0),
          );
        }
      });
    }
  }

  it('round-trips its state through stateDict / loadStateDict (AdamW, catch-up included)', () => {
    const options = { lr: 0.02, weightDecay: 0.1, embeddingUpdate: 'lazy' } as const;
    const a = parameters(10, 6, 8);
    const optA = createAdamW(a, options);
    const rand = lcg(2);
    for (let s = 0; s < 5; s++) optA.step(lazyGradients(a, rand));
    // a checkpoint: copies of the weights and the moments (stateDict flushes first)
    const state = Object.fromEntries(
      Object.entries(optA.stateDict()).map(([n, ms]) => [n, ms.map((m) => m.slice())]),
    );
    const b = parameters(10, 6, 99);
    b.forEach((p, k) => p.values.set(a[k]!.values));
    const optB = createAdamW(b, options);
    optB.loadStateDict(state, optA.stepCount);
    expect(optB.usesWasmKernel).toBe(true);
    for (let s = 0; s < 4; s++) {
      const g = lazyGradients(a, rand);
      optA.step(g);
      optB.step(rebind(g, b));
    }
    a.forEach((p, k) => expect([...b[k]!.values]).toEqual([...p.values]));
    optA.flush();
    optB.flush();
    a.forEach((p, k) => expect([...b[k]!.values]).toEqual([...p.values]));
    const sa = optA.stateDict();
    const sb = optB.stateDict();
    for (const name of Object.keys(sa)) {
      expect([...sb[name]![0]!]).toEqual([...sa[name]![0]!]);
      expect([...sb[name]![1]!]).toEqual([...sa[name]![1]!]);
    }
    // a flush right after another changes nothing
    const again = a[0]!.values.slice();
    optA.flush();
    expect([...a[0]!.values]).toEqual([...again]);
  });

  it('takes its parameters back when a second optimizer moved them, and goes on from their values', () => {
    const options = { lr: 0.05, embeddingUpdate: 'lazy' } as const;
    const wasm = parameters(6, 5, 4);
    const js = parameters(6, 5, 4);
    const [first, second] = [createAdamW(wasm, options), createAdamW(wasm, options)];
    const [jsFirst, jsSecond] = withKernels(false, () => [
      createAdamW(js, options),
      createAdamW(js, options),
    ]);
    const rand = lcg(6);
    for (const [w, j] of [
      [first, jsFirst],
      [second, jsSecond],
      [first, jsFirst],
    ] as const) {
      const g = lazyGradients(js, rand);
      j.step(g);
      w.step(rebind(g, wasm));
    }
    first.flush();
    jsFirst.flush();
    js.forEach((p, k) => expect(maxAbsDiff(wasm[k]!.values, p.values)).toBeLessThan(5e-7));
  });
});
