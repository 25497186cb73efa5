// cf's WebAssembly SIMD kernels (AssemblyScript). Pointers are byte offsets into the instance's
// memory; the host (src/) lays out every buffer and copies data in and out. Arithmetic is float32,
// in the order PyTorch uses, four lanes at a time with a scalar tail.

/**
 * One Adam / AdamW step of one row of `dim` floats: weights at `w`, moments at `m`, `v`, gradient at
 * `g` (read only when `withGrad`; else the gradient is zero). SIMD over groups of four, then a
 * scalar tail. One function for both entry points (not inlined: keeps the module small).
 * With `f` ≠ 0, the row is first caught up by the four factors at `f` (lazy AdamW: weight, m, v,
 * drift; see `adamRows`).
 */
function adamRow(
  w: usize,
  m: usize,
  v: usize,
  g: usize,
  withGrad: bool,
  f: usize,
  dim: i32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  stepSize: f32,
  sqrtBc2: f32,
  eps: f32,
  decay: f32,
  l2: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(oneMinusBeta1);
  const c2 = f32x4.splat(oneMinusBeta2);
  const ss = f32x4.splat(stepSize);
  const sb = f32x4.splat(sqrtBc2);
  const e = f32x4.splat(eps);
  const dc = f32x4.splat(decay);
  const l = f32x4.splat(l2);
  // catch-up factors; the identity (a row already current) skips the catch-up
  const fw: f32 = f != 0 ? load<f32>(f) : 1;
  const fm: f32 = f != 0 ? load<f32>(f, 4) : 1;
  const fv: f32 = f != 0 ? load<f32>(f, 8) : 1;
  const fd: f32 = f != 0 ? load<f32>(f, 12) : 0;
  const catchUp = fw != 1 || fm != 1 || fv != 1 || fd != 0;
  const cw = f32x4.splat(fw);
  const cm = f32x4.splat(fm);
  const cv = f32x4.splat(fv);
  const cd = f32x4.splat(fd);
  const d4 = dim & ~3;
  for (let j: i32 = 0; j < d4; j += 4) {
    const o = <usize>j << 2;
    let w0 = v128.load(w + o);
    let m0 = v128.load(m + o);
    let v0 = v128.load(v + o);
    if (catchUp) {
      // w·weight − drift·m / (√v + eps); m·mFactor; v·vFactor
      w0 = f32x4.sub(f32x4.mul(w0, cw), f32x4.div(f32x4.mul(cd, m0), f32x4.add(f32x4.sqrt(v0), e)));
      m0 = f32x4.mul(m0, cm);
      v0 = f32x4.mul(v0, cv);
    }
    let wj = f32x4.mul(w0, dc);
    const gr = withGrad ? v128.load(g + o) : f32x4.splat(0);
    const gj = f32x4.add(gr, f32x4.mul(l, wj));
    const mj = f32x4.add(f32x4.mul(m0, b1), f32x4.mul(gj, c1));
    // addcmul's order: v·β2 + (c2·g)·g
    const vj = f32x4.add(f32x4.mul(v0, b2), f32x4.mul(f32x4.mul(c2, gj), gj));
    v128.store(m + o, mj);
    v128.store(v + o, vj);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vj), sb), e);
    wj = f32x4.sub(wj, f32x4.mul(ss, f32x4.div(mj, denom)));
    v128.store(w + o, wj);
  }
  for (let j: i32 = d4; j < dim; j++) {
    const o = <usize>j << 2;
    let w0 = load<f32>(w + o);
    let m0 = load<f32>(m + o);
    let v0 = load<f32>(v + o);
    if (catchUp) {
      w0 = w0 * fw - (fd * m0) / (Mathf.sqrt(v0) + eps);
      m0 *= fm;
      v0 *= fv;
    }
    let wj: f32 = w0 * decay;
    const gr: f32 = withGrad ? load<f32>(g + o) : 0;
    const gj: f32 = gr + l2 * wj;
    const mj: f32 = m0 * beta1 + gj * oneMinusBeta1;
    const vj: f32 = v0 * beta2 + oneMinusBeta2 * gj * gj;
    store<f32>(m + o, mj);
    store<f32>(v + o, vj);
    wj -= stepSize * (mj / (Mathf.sqrt(vj) / sqrtBc2 + eps));
    store<f32>(w + o, wj);
  }
}

/**
 * One Adam / AdamW step over a table of `rows × dim` floats at `w` with moments at `m`, `v`.
 * `slot` holds one i32 per row: the row of `grad` (rows of `dim` floats) with that row's gradient,
 * or -1 for a zero gradient. Every row is updated, as PyTorch's dense Adam does:
 * `w ← w·decay; g += l2·w; m ← β1·m + c1·g; v ← β2·v + c2·g·g;
 *  w −= stepSize · m / (√v / sqrtBc2 + eps)`.
 * `c1` = 1 − β1 and `c2` = 1 − β2 come from the host, computed in float64 as PyTorch does (1 − β2
 * computed from a float32 β2 = 0.999 is off by 1e-5 relative).
 */
export function adamTable(
  w: usize,
  m: usize,
  v: usize,
  grad: usize,
  slot: usize,
  rows: i32,
  dim: i32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  stepSize: f32,
  sqrtBc2: f32,
  eps: f32,
  decay: f32,
  l2: f32,
): void {
  const rowBytes = <usize>dim << 2;
  let r: i32 = 0;
  while (r < rows) {
    const s = load<i32>(slot + (<usize>r << 2));
    const base = <usize>r * rowBytes;
    if (s >= 0) {
      adamRow(w + base, m + base, v + base, grad + <usize>s * rowBytes, true, 0, dim, beta1, beta2,
        oneMinusBeta1, oneMinusBeta2, stepSize, sqrtBc2, eps, decay, l2);
      r++;
      continue;
    }
    // a run of rows without gradient is one contiguous range: one call, no per-row overhead
    // (a batch touches a few hundred rows of tables with thousands; bias tables have dim 1)
    let end = r + 1;
    while (end < rows && load<i32>(slot + (<usize>end << 2)) < 0) end++;
    adamRow(w + base, m + base, v + base, 0, false, 0, (end - r) * dim, beta1, beta2,
      oneMinusBeta1, oneMinusBeta2, stepSize, sqrtBc2, eps, decay, l2);
    r = end;
  }
}

/**
 * The same step as {@link adamTable} on the listed rows only (lazy, row-sparse Adam): for
 * `k < count`, table row `list[k]` (i32s at `list`) is updated from gradient row `k` of `grad`, in
 * list order (a row listed twice is updated twice). Rows not listed are not read or written.
 * With `factors` ≠ 0 (lazy AdamW's catch-up), listed row `k` is first brought up to date with the
 * four floats at `factors + 16k` (weight, mFactor, vFactor, drift), from its moments before:
 * `w ← w·weight − drift·m/(√v + eps); m ← m·mFactor; v ← v·vFactor` ((1, 1, 1, 0): nothing to do).
 */
export function adamRows(
  w: usize,
  m: usize,
  v: usize,
  grad: usize,
  list: usize,
  factors: usize,
  count: i32,
  dim: i32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  stepSize: f32,
  sqrtBc2: f32,
  eps: f32,
  decay: f32,
  l2: f32,
): void {
  const rowBytes = <usize>dim << 2;
  for (let k: i32 = 0; k < count; k++) {
    const base = <usize>load<i32>(list + (<usize>k << 2)) * rowBytes;
    const f = factors != 0 ? factors + (<usize>k << 4) : 0;
    adamRow(w + base, m + base, v + base, grad + <usize>k * rowBytes, true, f, dim, beta1, beta2,
      oneMinusBeta1, oneMinusBeta2, stepSize, sqrtBc2, eps, decay, l2);
  }
}

// ---------------------------------------------------------------------------------------------
// EmbeddingDotBias training on interleaved rows: each table row is one contiguous span of three
// sections of `S` floats (S = f + 1 rounded up to 4): weights then the bias, Adam's m, Adam's v.
// One row update touches one span, and the forward pass reads the bias from the weights' last
// cache line. Rows of the next examples are touched ahead (PREFETCH) so their misses overlap.
// ---------------------------------------------------------------------------------------------

const PREFETCH: i32 = 6;

/** Reads `bytes` of the span at `p`, a cache line at a time, into a sink (a software prefetch). */
@inline
function touch(p: usize, bytes: usize): i32 {
  let x: i32 = 0;
  for (let o: usize = 0; o < bytes; o += 64) x ^= load<i32>(p + o);
  return x;
}

/**
 * Forward and backward pass of `n` examples of EmbeddingDotBias over interleaved tables at `users`
 * and `items` (rows of `rowBytes`, `f` factors, the bias at float `f`): `res = Σ u·i + b_u + b_i`
 * (the dot in float32, four lanes), `pred = sigmoid(res)·span + low` (when `squash`), squared error
 * against `rating`. Each example's gradient (`dres·i` for the user row, `dres·u` for the item row,
 * `dres` for both biases; `dres = 2/n · err · sig·(1 − sig)·span`) is added into one gradient row
 * (`S` floats) per distinct table row, in `gradU` / `gradI`. `slotU` / `slotI` (one i32 per table
 * row, -1 when absent) map a row to its gradient row, and `listU` / `listI` get the distinct rows
 * in first-appearance order; their counts go to `counts[0]`, `counts[1]`. The slots are reset by
 * `dotBiasAdam`. Returns the sum of squared errors.
 */
export function dotBiasPass(
  users: usize,
  items: usize,
  rowBytes: i32,
  S: i32,
  f: i32,
  n: i32,
  userIdx: usize,
  itemIdx: usize,
  rating: usize,
  low: f64,
  span: f64,
  squash: i32,
  gradU: usize,
  gradI: usize,
  slotU: usize,
  slotI: usize,
  listU: usize,
  listI: usize,
  counts: usize,
): f64 {
  const rb = <usize>rowBytes;
  const gb = <usize>S << 2;
  const wBytes = gb; // the weights section: the forward pass reads only it
  const f4 = f & ~3;
  const fb = <usize>f << 2;
  const scale = 2.0 / <f64>n;
  let nu: i32 = 0;
  let ni: i32 = 0;
  let sink: i32 = 0;
  let sum: f64 = 0;
  for (let b: i32 = 0; b < n + PREFETCH; b++) {
    const ahead = b + PREFETCH;
    if (ahead < n) {
      const au = <usize>load<i32>(userIdx + (<usize>ahead << 2));
      const ai = <usize>load<i32>(itemIdx + (<usize>ahead << 2));
      sink ^= touch(users + au * rb, wBytes) ^ touch(items + ai * rb, wBytes);
      sink ^= load<i32>(slotU + (au << 2)) ^ load<i32>(slotI + (ai << 2));
    }
    if (b >= n) continue;
    const u = <usize>load<i32>(userIdx + (<usize>b << 2));
    const i = <usize>load<i32>(itemIdx + (<usize>b << 2));
    const up = users + u * rb;
    const ip = items + i * rb;
    let acc = f32x4.splat(0);
    for (let d: i32 = 0; d < f4; d += 4) {
      const o = <usize>d << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(up + o), v128.load(ip + o)));
    }
    let dot: f32 =
      f32x4.extract_lane(acc, 0) +
      f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) +
      f32x4.extract_lane(acc, 3);
    for (let d: i32 = f4; d < f; d++) {
      const o = <usize>d << 2;
      dot += load<f32>(up + o) * load<f32>(ip + o);
    }
    const res: f64 = <f64>load<f32>(up + fb) + <f64>load<f32>(ip + fb) + <f64>dot;
    let pred = res;
    let sig: f64 = 0;
    if (squash != 0) {
      sig = 1.0 / (1.0 + Math.exp(-res));
      pred = sig * span + low;
    }
    const err = pred - <f64>load<f32>(rating + (<usize>b << 2));
    sum += err * err;
    let dres = scale * err;
    if (squash != 0) dres *= sig * (1.0 - sig) * span;
    const g: f32 = <f32>dres;
    // the user's gradient row
    let su = load<i32>(slotU + (u << 2));
    if (su < 0) {
      su = nu++;
      store<i32>(slotU + (u << 2), su);
      store<i32>(listU + (<usize>su << 2), <i32>u);
      memory.fill(gradU + <usize>su * gb, 0, gb);
    }
    let si = load<i32>(slotI + (i << 2));
    if (si < 0) {
      si = ni++;
      store<i32>(slotI + (i << 2), si);
      store<i32>(listI + (<usize>si << 2), <i32>i);
      memory.fill(gradI + <usize>si * gb, 0, gb);
    }
    const gu = gradU + <usize>su * gb;
    const gi = gradI + <usize>si * gb;
    const g4 = f32x4.splat(g);
    for (let d: i32 = 0; d < f4; d += 4) {
      const o = <usize>d << 2;
      v128.store(gu + o, f32x4.add(v128.load(gu + o), f32x4.mul(g4, v128.load(ip + o))));
      v128.store(gi + o, f32x4.add(v128.load(gi + o), f32x4.mul(g4, v128.load(up + o))));
    }
    for (let d: i32 = f4; d < f; d++) {
      const o = <usize>d << 2;
      store<f32>(gu + o, load<f32>(gu + o) + g * load<f32>(ip + o));
      store<f32>(gi + o, load<f32>(gi + o) + g * load<f32>(up + o));
    }
    store<f32>(gu + fb, load<f32>(gu + fb) + g);
    store<f32>(gi + fb, load<f32>(gi + fb) + g);
  }
  store<i32>(counts, nu);
  store<i32>(counts, ni, 4);
  // keeps the touches: an unused load could be dropped
  store<i32>(counts, sink, 8);
  return sum;
}

/**
 * Lazy Adam / AdamW on the `count` listed rows of an interleaved table (see `dotBiasPass`): table
 * row `list[k]` from gradient row `k` (`S` floats), its `f` weights with the first set of scalars
 * and its bias with the second (`factorsW` / `factorsB`: lazy AdamW's catch-up, four floats per
 * row as in `adamRows`, or 0), and its slot in `slot` reset to -1. The same arithmetic as
 * `adamRows`.
 */
export function dotBiasAdam(
  table: usize,
  rowBytes: i32,
  S: i32,
  f: i32,
  grad: usize,
  list: usize,
  slot: usize,
  count: i32,
  factorsW: usize,
  factorsB: usize,
  beta2: f32,
  oneMinusBeta2: f32,
  sqrtBc2: f32,
  eps: f32,
  beta1W: f32,
  oneMinusBeta1W: f32,
  stepSizeW: f32,
  decayW: f32,
  l2W: f32,
  beta1B: f32,
  oneMinusBeta1B: f32,
  stepSizeB: f32,
  decayB: f32,
  l2B: f32,
): i32 {
  const rb = <usize>rowBytes;
  const sb = <usize>S << 2;
  const fb = <usize>f << 2;
  let sink: i32 = 0;
  for (let k: i32 = 0; k < count; k++) {
    const ahead = k + PREFETCH;
    if (ahead < count) sink ^= touch(table + <usize>load<i32>(list + (<usize>ahead << 2)) * rb, rb);
    const row = <usize>load<i32>(list + (<usize>k << 2));
    store<i32>(slot + (row << 2), -1);
    const w = table + row * rb;
    const g = grad + <usize>k * sb;
    adamRow(w, w + sb, w + 2 * sb, g, true, factorsW != 0 ? factorsW + (<usize>k << 4) : 0, f,
      beta1W, beta2, oneMinusBeta1W, oneMinusBeta2, stepSizeW, sqrtBc2, eps, decayW, l2W);
    adamRow(w + fb, w + sb + fb, w + 2 * sb + fb, g + fb, true,
      factorsB != 0 ? factorsB + (<usize>k << 4) : 0, 1,
      beta1B, beta2, oneMinusBeta1B, oneMinusBeta2, stepSizeB, sqrtBc2, eps, decayB, l2B);
  }
  return sink;
}

// ---------------------------------------------------------------------------------------------
// Multi-layer perceptron on concatenated embeddings (EmbeddingNet), forward and backward per example.
//
// The layer table at `layers` holds LAYER_FIELDS i32 per layer:
//   0 inputs, 1 outputs, 2 W ([out, in]), 3 bias, 4 dW, 5 db,
//   6 mask of this layer's input ([n, in], 0 for none), 7 x (this layer's input, `in` floats),
//   8 z (pre-activations, `out` floats), 9 g (d loss / d z, `out` floats)
// Layer 0's input is concat(user row, item row) · mask; hidden layers apply ReLU then their mask.
// The output layer has one unit: prediction = sigmoid(z) · range + offset.
// ---------------------------------------------------------------------------------------------

const LAYER_FIELDS: i32 = 10;

@inline
function field(layers: usize, l: i32, k: i32): usize {
  return <usize>load<i32>(layers + ((<usize>(l * LAYER_FIELDS + k)) << 2));
}

/** Σ a[k]·b[k] for k < n. */
@inline
function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  const n4 = n & ~3;
  for (let k: i32 = 0; k < n4; k += 4) {
    const o = <usize>k << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s: f32 =
    f32x4.extract_lane(acc, 0) +
    f32x4.extract_lane(acc, 1) +
    f32x4.extract_lane(acc, 2) +
    f32x4.extract_lane(acc, 3);
  for (let k: i32 = n4; k < n; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

/**
 * Forward and backward of `n` examples. `user`, `item`: the gathered embedding rows (`[n, f]`);
 * `target`: `[n]`. Writes the gradient of each example's user and item row to `du`, `di`
 * (`[n, f]`), adds the layers' gradients into their dW / db (the caller zeroes them), and writes
 * predictions to `pred` when it is not 0. With `train` 0 only the forward pass runs.
 * Returns the sum of squared errors (0 without targets).
 */
export function mlpPass(
  n: i32,
  f: i32,
  nLayers: i32,
  layers: usize,
  user: usize,
  item: usize,
  target: usize,
  du: usize,
  di: usize,
  pred: usize,
  range: f32,
  offset: f32,
  train: i32,
): f64 {
  const last = nLayers - 1;
  const twoF = f << 1;
  const fBytes = <usize>f << 2;
  const dScale: f32 = 2 / <f32>n;
  let sum: f64 = 0; // float64: a batch of thousands of float32 squares would lose digits
  const x0 = field(layers, 0, 7);
  for (let b: i32 = 0; b < n; b++) {
    // layer 0 input
    const m0 = field(layers, 0, 6);
    const ub = user + <usize>b * fBytes;
    const ib = item + <usize>b * fBytes;
    memory.copy(x0, ub, fBytes);
    memory.copy(x0 + fBytes, ib, fBytes);
    if (m0 != 0) {
      const mb = m0 + ((<usize>(b * twoF)) << 2);
      const n4 = twoF & ~3;
      for (let k: i32 = 0; k < n4; k += 4) {
        const o = <usize>k << 2;
        v128.store(x0 + o, f32x4.mul(v128.load(x0 + o), v128.load(mb + o)));
      }
      for (let k: i32 = n4; k < twoF; k++) {
        const o = <usize>k << 2;
        store<f32>(x0 + o, load<f32>(x0 + o) * load<f32>(mb + o));
      }
    }
    // forward; a unit whose output the next mask drops is not computed (it would be multiplied by 0)
    for (let l: i32 = 0; l < nLayers; l++) {
      const inp = load<i32>(layers + ((<usize>(l * LAYER_FIELDS)) << 2));
      const out = load<i32>(layers + ((<usize>(l * LAYER_FIELDS + 1)) << 2));
      const W = field(layers, l, 2);
      const bias = field(layers, l, 3);
      const x = field(layers, l, 7);
      const z = field(layers, l, 8);
      const inBytes = <usize>inp << 2;
      if (l < last) {
        const nextMask = field(layers, l + 1, 6);
        const xn = field(layers, l + 1, 7);
        const mb = nextMask != 0 ? nextMask + <usize>b * (<usize>out << 2) : 0;
        for (let o: i32 = 0; o < out; o++) {
          const oo = <usize>o << 2;
          const keep: f32 = mb != 0 ? load<f32>(mb + oo) : 1;
          if (keep == 0) {
            store<f32>(z + oo, 0);
            store<f32>(xn + oo, 0);
            continue;
          }
          const zo = load<f32>(bias + oo) + dot(W + <usize>o * inBytes, x, inp);
          store<f32>(z + oo, zo);
          store<f32>(xn + oo, zo > 0 ? zo * keep : 0);
        }
      } else {
        for (let o: i32 = 0; o < out; o++) {
          const oo = <usize>o << 2;
          store<f32>(z + oo, load<f32>(bias + oo) + dot(W + <usize>o * inBytes, x, inp));
        }
      }
    }
    const zl = load<f32>(field(layers, last, 8));
    const sig: f32 = 1 / (1 + Mathf.exp(-zl));
    const p: f32 = sig * range + offset;
    if (pred != 0) store<f32>(pred + (<usize>b << 2), p);
    if (train == 0) continue;
    const err: f32 = p - load<f32>(target + (<usize>b << 2));
    sum += <f64>(err * err);
    store<f32>(field(layers, last, 9), err * dScale * range * sig * (1 - sig));
    // backward
    for (let l: i32 = last; l >= 0; l--) {
      const inp = load<i32>(layers + ((<usize>(l * LAYER_FIELDS)) << 2));
      const out = load<i32>(layers + ((<usize>(l * LAYER_FIELDS + 1)) << 2));
      const W = field(layers, l, 2);
      const dW = field(layers, l, 4);
      const db = field(layers, l, 5);
      const x = field(layers, l, 7);
      const g = field(layers, l, 9);
      const inBytes = <usize>inp << 2;
      // dx accumulates in the previous layer's g buffer (or x0's slot for layer 0: reuse x0 after)
      const dx = l > 0 ? field(layers, l - 1, 9) : x0;
      // dx = Σ_o g[o]·W[o, :]; dW[o, :] += g[o]·x; db += g (units with g = 0 add nothing)
      let first = true;
      const n4 = inp & ~3;
      for (let o: i32 = 0; o < out; o++) {
        const oo = <usize>o << 2;
        const go = load<f32>(g + oo);
        if (go == 0) continue;
        store<f32>(db + oo, load<f32>(db + oo) + go);
        const gv = f32x4.splat(go);
        const wr = W + <usize>o * inBytes;
        const dwr = dW + <usize>o * inBytes;
        if (l == 0) {
          // x0 is overwritten by dx below: update dW first for all units, dx in a second pass
          for (let k: i32 = 0; k < n4; k += 4) {
            const ko = <usize>k << 2;
            v128.store(dwr + ko, f32x4.add(v128.load(dwr + ko), f32x4.mul(gv, v128.load(x + ko))));
          }
          for (let k: i32 = n4; k < inp; k++) {
            const ko = <usize>k << 2;
            store<f32>(dwr + ko, load<f32>(dwr + ko) + go * load<f32>(x + ko));
          }
          continue;
        }
        for (let k: i32 = 0; k < n4; k += 4) {
          const ko = <usize>k << 2;
          v128.store(dwr + ko, f32x4.add(v128.load(dwr + ko), f32x4.mul(gv, v128.load(x + ko))));
          const w = f32x4.mul(gv, v128.load(wr + ko));
          v128.store(dx + ko, first ? w : f32x4.add(v128.load(dx + ko), w));
        }
        for (let k: i32 = n4; k < inp; k++) {
          const ko = <usize>k << 2;
          store<f32>(dwr + ko, load<f32>(dwr + ko) + go * load<f32>(x + ko));
          const w = go * load<f32>(wr + ko);
          store<f32>(dx + ko, first ? w : load<f32>(dx + ko) + w);
        }
        first = false;
      }
      if (l > 0) {
        // through the ReLU and the mask that made this layer's input
        const mask = field(layers, l, 6);
        const zp = field(layers, l - 1, 8);
        const mb = mask != 0 ? mask + <usize>b * inBytes : 0;
        for (let k: i32 = 0; k < inp; k++) {
          const ko = <usize>k << 2;
          if (first || load<f32>(zp + ko) <= 0) {
            store<f32>(dx + ko, 0);
            continue;
          }
          if (mb != 0) store<f32>(dx + ko, load<f32>(dx + ko) * load<f32>(mb + ko));
        }
      } else {
        // layer 0: dx0 = Σ_o g[o]·W[o, :] · mask0, written straight to du / di
        const dub = du + <usize>b * fBytes;
        const dib = di + <usize>b * fBytes;
        const m0b = m0 != 0 ? m0 + ((<usize>(b * twoF)) << 2) : 0;
        for (let k: i32 = 0; k < twoF; k += 4) {
          // twoF may not be a multiple of 4: the scalar path below handles the tail
          if (k + 4 > twoF) break;
          const ko = <usize>k << 2;
          let acc = f32x4.splat(0);
          for (let o: i32 = 0; o < out; o++) {
            const go = load<f32>(g + (<usize>o << 2));
            if (go == 0) continue;
            acc = f32x4.add(acc, f32x4.mul(f32x4.splat(go), v128.load(W + <usize>o * inBytes + ko)));
          }
          if (m0b != 0) acc = f32x4.mul(acc, v128.load(m0b + ko));
          v128.store(x0 + ko, acc);
        }
        for (let k: i32 = twoF & ~3; k < twoF; k++) {
          const ko = <usize>k << 2;
          let acc: f32 = 0;
          for (let o: i32 = 0; o < out; o++) {
            const go = load<f32>(g + (<usize>o << 2));
            if (go == 0) continue;
            acc += go * load<f32>(W + <usize>o * inBytes + ko);
          }
          if (m0b != 0) acc *= load<f32>(m0b + ko);
          store<f32>(x0 + ko, acc);
        }
        memory.copy(dub, x0, fBytes);
        memory.copy(dib, x0 + fBytes, fBytes);
      }
    }
  }
  return sum;
}

/**
 * Approximate dot-product scores of a block of users against a range of item panels, kept only
 * where they beat the user's cut (for a per-user running top-k; see `BlockedDotKernel`).
 * `users`: `[nu, f]` rows (`nu` a multiple of 4; padding rows zero); `userBase`: `[nu]` constant
 * per user (global bias + user bias); `panels`: items packed eight to a panel, panel `p` holding
 * `[f][8]` floats at `p · f · 8`; `itemBias`: `[8 · panels]` (padding items −∞); `cut`: `[nu]`.
 * Score = `userBase[u] + itemBias[i] + Σ_d users[u, d] · item[i, d]`, float32, four users × eight
 * items per tile. For each score above its user's cut, writes (row, item, score) to `outRow`,
 * `outItem`, `outScore`; entries come per group of four users, items ascending within each user.
 * Returns the number of entries written.
 */
export function scoreTiles(
  users: usize,
  userBase: usize,
  nu: i32,
  panels: usize,
  itemBias: usize,
  f: i32,
  p0: i32,
  p1: i32,
  cut: usize,
  outRow: usize,
  outItem: usize,
  outScore: usize,
): i32 {
  let count: i32 = 0;
  const fBytes = <usize>f << 2;
  const panelBytes = <usize>f << 5;
  for (let q: i32 = 0; q < nu; q += 4) {
    const r0 = users + <usize>q * fBytes;
    const r1 = r0 + fBytes;
    const r2 = r1 + fBytes;
    const r3 = r2 + fBytes;
    const qb = userBase + (<usize>q << 2);
    const base0 = v128.load32_splat(qb);
    const base1 = v128.load32_splat(qb + 4);
    const base2 = v128.load32_splat(qb + 8);
    const base3 = v128.load32_splat(qb + 12);
    const qc = cut + (<usize>q << 2);
    const c0 = v128.load32_splat(qc);
    const c1 = v128.load32_splat(qc + 4);
    const c2 = v128.load32_splat(qc + 8);
    const c3 = v128.load32_splat(qc + 12);
    for (let p: i32 = p0; p < p1; p++) {
      const pp = panels + <usize>p * panelBytes;
      const bi = itemBias + (<usize>p << 5);
      const biA = v128.load(bi);
      const biB = v128.load(bi, 16);
      let a0 = f32x4.add(base0, biA);
      let b0 = f32x4.add(base0, biB);
      let a1 = f32x4.add(base1, biA);
      let b1 = f32x4.add(base1, biB);
      let a2 = f32x4.add(base2, biA);
      let b2 = f32x4.add(base2, biB);
      let a3 = f32x4.add(base3, biA);
      let b3 = f32x4.add(base3, biB);
      for (let d: i32 = 0; d < f; d++) {
        const o = <usize>d << 2;
        const x = pp + (<usize>d << 5);
        const iA = v128.load(x);
        const iB = v128.load(x, 16);
        const u0 = v128.load32_splat(r0 + o);
        const u1 = v128.load32_splat(r1 + o);
        const u2 = v128.load32_splat(r2 + o);
        const u3 = v128.load32_splat(r3 + o);
        a0 = f32x4.add(a0, f32x4.mul(u0, iA));
        b0 = f32x4.add(b0, f32x4.mul(u0, iB));
        a1 = f32x4.add(a1, f32x4.mul(u1, iA));
        b1 = f32x4.add(b1, f32x4.mul(u1, iB));
        a2 = f32x4.add(a2, f32x4.mul(u2, iA));
        b2 = f32x4.add(b2, f32x4.mul(u2, iB));
        a3 = f32x4.add(a3, f32x4.mul(u3, iA));
        b3 = f32x4.add(b3, f32x4.mul(u3, iB));
      }
      const item0 = p << 3;
      count = emitTile(a0, b0, c0, q, item0, count, outRow, outItem, outScore);
      count = emitTile(a1, b1, c1, q + 1, item0, count, outRow, outItem, outScore);
      count = emitTile(a2, b2, c2, q + 2, item0, count, outRow, outItem, outScore);
      count = emitTile(a3, b3, c3, q + 3, item0, count, outRow, outItem, outScore);
    }
  }
  return count;
}

/**
 * `scoreTiles` on int16-quantised factors: twice the multiply-adds per instruction of the float32
 * kernel (`i32x4.dot_i16x8_s` does eight) and half the bytes per item. `users`: `[nu, 2 · f2]`
 * int16 rows (`nu` a multiple of 4); `panels`: items eight to a panel, panel `p` holding, at
 * `p · f2 · 32` bytes, for each pair of dimensions `t` the 16 int16 `[item][2t, 2t + 1]`;
 * `userScale`: `[nu]` float32, the product of the user's and the items' quantisation steps. The
 * integer dot product is exact (the host keeps `2 · f2 · L²` below 2³¹); score =
 * `(userBase[u] + itemBias[i]) + float32(dot) · userScale[u]`. Same entries, same order, as
 * `scoreTiles`.
 */
export function scoreTilesI16(
  users: usize,
  userScale: usize,
  userBase: usize,
  nu: i32,
  panels: usize,
  itemBias: usize,
  f2: i32,
  p0: i32,
  p1: i32,
  cut: usize,
  outRow: usize,
  outItem: usize,
  outScore: usize,
): i32 {
  let count: i32 = 0;
  const rowBytes = <usize>f2 << 2;
  const panelBytes = <usize>f2 << 5;
  for (let q: i32 = 0; q < nu; q += 4) {
    const r0 = users + <usize>q * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    const qb = userBase + (<usize>q << 2);
    const base0 = v128.load32_splat(qb);
    const base1 = v128.load32_splat(qb + 4);
    const base2 = v128.load32_splat(qb + 8);
    const base3 = v128.load32_splat(qb + 12);
    const qs = userScale + (<usize>q << 2);
    const s0 = v128.load32_splat(qs);
    const s1 = v128.load32_splat(qs + 4);
    const s2 = v128.load32_splat(qs + 8);
    const s3 = v128.load32_splat(qs + 12);
    const qc = cut + (<usize>q << 2);
    const c0 = v128.load32_splat(qc);
    const c1 = v128.load32_splat(qc + 4);
    const c2 = v128.load32_splat(qc + 8);
    const c3 = v128.load32_splat(qc + 12);
    for (let p: i32 = p0; p < p1; p++) {
      const pp = panels + <usize>p * panelBytes;
      let a0 = i32x4.splat(0);
      let b0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let b1 = i32x4.splat(0);
      let a2 = i32x4.splat(0);
      let b2 = i32x4.splat(0);
      let a3 = i32x4.splat(0);
      let b3 = i32x4.splat(0);
      // two pairs of dimensions per iteration (the loop's own work halves), then the odd one
      const even = f2 & ~1;
      for (let t: i32 = 0; t < even; t += 2) {
        const o = <usize>t << 2;
        const x = pp + (<usize>t << 5);
        const iA = v128.load(x);
        const iB = v128.load(x, 16);
        const jA = v128.load(x, 32);
        const jB = v128.load(x, 48);
        const u0 = v128.load32_splat(r0 + o);
        const u1 = v128.load32_splat(r1 + o);
        const u2 = v128.load32_splat(r2 + o);
        const u3 = v128.load32_splat(r3 + o);
        const v0 = v128.load32_splat(r0 + o + 4);
        const v1 = v128.load32_splat(r1 + o + 4);
        const v2 = v128.load32_splat(r2 + o + 4);
        const v3 = v128.load32_splat(r3 + o + 4);
        a0 = i32x4.add(a0, i32x4.add(i32x4.dot_i16x8_s(u0, iA), i32x4.dot_i16x8_s(v0, jA)));
        b0 = i32x4.add(b0, i32x4.add(i32x4.dot_i16x8_s(u0, iB), i32x4.dot_i16x8_s(v0, jB)));
        a1 = i32x4.add(a1, i32x4.add(i32x4.dot_i16x8_s(u1, iA), i32x4.dot_i16x8_s(v1, jA)));
        b1 = i32x4.add(b1, i32x4.add(i32x4.dot_i16x8_s(u1, iB), i32x4.dot_i16x8_s(v1, jB)));
        a2 = i32x4.add(a2, i32x4.add(i32x4.dot_i16x8_s(u2, iA), i32x4.dot_i16x8_s(v2, jA)));
        b2 = i32x4.add(b2, i32x4.add(i32x4.dot_i16x8_s(u2, iB), i32x4.dot_i16x8_s(v2, jB)));
        a3 = i32x4.add(a3, i32x4.add(i32x4.dot_i16x8_s(u3, iA), i32x4.dot_i16x8_s(v3, jA)));
        b3 = i32x4.add(b3, i32x4.add(i32x4.dot_i16x8_s(u3, iB), i32x4.dot_i16x8_s(v3, jB)));
      }
      for (let t: i32 = even; t < f2; t++) {
        const o = <usize>t << 2;
        const x = pp + (<usize>t << 5);
        const iA = v128.load(x);
        const iB = v128.load(x, 16);
        const u0 = v128.load32_splat(r0 + o);
        const u1 = v128.load32_splat(r1 + o);
        const u2 = v128.load32_splat(r2 + o);
        const u3 = v128.load32_splat(r3 + o);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(u0, iA));
        b0 = i32x4.add(b0, i32x4.dot_i16x8_s(u0, iB));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(u1, iA));
        b1 = i32x4.add(b1, i32x4.dot_i16x8_s(u1, iB));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(u2, iA));
        b2 = i32x4.add(b2, i32x4.dot_i16x8_s(u2, iB));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(u3, iA));
        b3 = i32x4.add(b3, i32x4.dot_i16x8_s(u3, iB));
      }
      const bi = itemBias + (<usize>p << 5);
      const biA = v128.load(bi);
      const biB = v128.load(bi, 16);
      const item0 = p << 3;
      count = emitTile(
        f32x4.add(f32x4.add(base0, biA), f32x4.mul(f32x4.convert_i32x4_s(a0), s0)),
        f32x4.add(f32x4.add(base0, biB), f32x4.mul(f32x4.convert_i32x4_s(b0), s0)),
        c0, q, item0, count, outRow, outItem, outScore,
      );
      count = emitTile(
        f32x4.add(f32x4.add(base1, biA), f32x4.mul(f32x4.convert_i32x4_s(a1), s1)),
        f32x4.add(f32x4.add(base1, biB), f32x4.mul(f32x4.convert_i32x4_s(b1), s1)),
        c1, q + 1, item0, count, outRow, outItem, outScore,
      );
      count = emitTile(
        f32x4.add(f32x4.add(base2, biA), f32x4.mul(f32x4.convert_i32x4_s(a2), s2)),
        f32x4.add(f32x4.add(base2, biB), f32x4.mul(f32x4.convert_i32x4_s(b2), s2)),
        c2, q + 2, item0, count, outRow, outItem, outScore,
      );
      count = emitTile(
        f32x4.add(f32x4.add(base3, biA), f32x4.mul(f32x4.convert_i32x4_s(a3), s3)),
        f32x4.add(f32x4.add(base3, biB), f32x4.mul(f32x4.convert_i32x4_s(b3), s3)),
        c3, q + 3, item0, count, outRow, outItem, outScore,
      );
    }
  }
  return count;
}

/** Writes the lanes of one user's eight scores (`a`, `b`) that beat `c`; returns the new count. */
// @ts-ignore: decorator
@inline
function emitTile(
  a: v128,
  b: v128,
  c: v128,
  row: i32,
  item0: i32,
  count: i32,
  outRow: usize,
  outItem: usize,
  outScore: usize,
): i32 {
  const ma = f32x4.gt(a, c);
  const mb = f32x4.gt(b, c);
  if (!v128.any_true(v128.or(ma, mb))) return count;
  const bits = i32x4.bitmask(ma) | (i32x4.bitmask(mb) << 4);
  for (let lane: i32 = 0; lane < 8; lane++) {
    if ((bits & (1 << lane)) == 0) continue;
    const at = <usize>count << 2;
    store<i32>(outRow + at, row);
    store<i32>(outItem + at, item0 + lane);
    store<f32>(outScore + at, laneOf(lane < 4 ? a : b, lane & 3));
    count++;
  }
  return count;
}

/** Lane `k` (0..3) of `v`. */
// @ts-ignore: decorator
@inline
function laneOf(v: v128, k: i32): f32 {
  if (k == 0) return f32x4.extract_lane(v, 0);
  if (k == 1) return f32x4.extract_lane(v, 1);
  if (k == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}

/**
 * `scoreTiles` for a one-hidden-layer MLP whose first layer splits into a user and an item part:
 * score = `userBase[u] + itemBias[i] + Σ_d w[d] · max(users[u, d] + item[i, d], 0)` (`users`: the
 * user part plus the layer's bias; `panels`: the item part, packed as in `scoreTiles`; `w`: the
 * output unit's weights, `[f]`). Same entries, same order, as `scoreTiles`.
 */
export function reluTiles(
  users: usize,
  userBase: usize,
  nu: i32,
  panels: usize,
  itemBias: usize,
  f: i32,
  p0: i32,
  p1: i32,
  cut: usize,
  w: usize,
  outRow: usize,
  outItem: usize,
  outScore: usize,
): i32 {
  let count: i32 = 0;
  const fBytes = <usize>f << 2;
  const panelBytes = <usize>f << 5;
  const zero = f32x4.splat(0);
  for (let q: i32 = 0; q < nu; q += 4) {
    const r0 = users + <usize>q * fBytes;
    const r1 = r0 + fBytes;
    const r2 = r1 + fBytes;
    const r3 = r2 + fBytes;
    const qb = userBase + (<usize>q << 2);
    const base0 = v128.load32_splat(qb);
    const base1 = v128.load32_splat(qb + 4);
    const base2 = v128.load32_splat(qb + 8);
    const base3 = v128.load32_splat(qb + 12);
    const qc = cut + (<usize>q << 2);
    const c0 = v128.load32_splat(qc);
    const c1 = v128.load32_splat(qc + 4);
    const c2 = v128.load32_splat(qc + 8);
    const c3 = v128.load32_splat(qc + 12);
    for (let p: i32 = p0; p < p1; p++) {
      const pp = panels + <usize>p * panelBytes;
      const bi = itemBias + (<usize>p << 5);
      const biA = v128.load(bi);
      const biB = v128.load(bi, 16);
      let a0 = f32x4.add(base0, biA);
      let b0 = f32x4.add(base0, biB);
      let a1 = f32x4.add(base1, biA);
      let b1 = f32x4.add(base1, biB);
      let a2 = f32x4.add(base2, biA);
      let b2 = f32x4.add(base2, biB);
      let a3 = f32x4.add(base3, biA);
      let b3 = f32x4.add(base3, biB);
      for (let d: i32 = 0; d < f; d++) {
        const o = <usize>d << 2;
        const x = pp + (<usize>d << 5);
        const iA = v128.load(x);
        const iB = v128.load(x, 16);
        const wd = v128.load32_splat(w + o);
        const u0 = v128.load32_splat(r0 + o);
        const u1 = v128.load32_splat(r1 + o);
        const u2 = v128.load32_splat(r2 + o);
        const u3 = v128.load32_splat(r3 + o);
        a0 = f32x4.add(a0, f32x4.mul(wd, f32x4.max(f32x4.add(u0, iA), zero)));
        b0 = f32x4.add(b0, f32x4.mul(wd, f32x4.max(f32x4.add(u0, iB), zero)));
        a1 = f32x4.add(a1, f32x4.mul(wd, f32x4.max(f32x4.add(u1, iA), zero)));
        b1 = f32x4.add(b1, f32x4.mul(wd, f32x4.max(f32x4.add(u1, iB), zero)));
        a2 = f32x4.add(a2, f32x4.mul(wd, f32x4.max(f32x4.add(u2, iA), zero)));
        b2 = f32x4.add(b2, f32x4.mul(wd, f32x4.max(f32x4.add(u2, iB), zero)));
        a3 = f32x4.add(a3, f32x4.mul(wd, f32x4.max(f32x4.add(u3, iA), zero)));
        b3 = f32x4.add(b3, f32x4.mul(wd, f32x4.max(f32x4.add(u3, iB), zero)));
      }
      const item0 = p << 3;
      count = emitTile(a0, b0, c0, q, item0, count, outRow, outItem, outScore);
      count = emitTile(a1, b1, c1, q + 1, item0, count, outRow, outItem, outScore);
      count = emitTile(a2, b2, c2, q + 2, item0, count, outRow, outItem, outScore);
      count = emitTile(a3, b3, c3, q + 3, item0, count, outRow, outItem, outScore);
    }
  }
  return count;
}
