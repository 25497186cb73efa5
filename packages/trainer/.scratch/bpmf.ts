import { splitByCvIdxs, type Split } from '@cf/data';
import { loadRatings } from '@cf/data/node';

const table = (await loadRatings('/work/shared/datasets/ml-latest-small')).table;
const outer = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
function inner(train: Int32Array, pct: number, seed: number): Split {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const idx = Array.from(train);
  for (let k = idx.length - 1; k > 0; k--) { const j = Math.floor(rnd() * (k + 1)); [idx[k], idx[j]] = [idx[j]!, idx[k]!]; }
  const nv = Math.round(pct * idx.length);
  return { train: Int32Array.from(idx.slice(nv)).sort(), valid: Int32Array.from(idx.slice(0, nv)).sort() };
}
const split = process.env.OUTER ? outer : inner(outer.train, 0.15, 7);

// rng
let st = 12345 >>> 0;
const uni = () => { st = (st + 0x6d2b79f5) | 0; let t = st; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 + 1e-12; };
let spare: number | undefined;
const normal = () => { if (spare !== undefined) { const s = spare; spare = undefined; return s; } const u = uni(), v = uni(); const r = Math.sqrt(-2 * Math.log(u)); spare = r * Math.sin(2 * Math.PI * v); return r * Math.cos(2 * Math.PI * v); };
function gamma(a: number): number { // shape a, scale 1
  if (a < 1) return gamma(a + 1) * Math.pow(uni(), 1 / a);
  const d = a - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) { let x, v; do { x = normal(); v = 1 + c * x; } while (v <= 0); v = v * v * v; const u = uni(); if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v; }
}
// cholesky in place (lower), D x D row-major
function chol(A: Float64Array, D: number): void {
  for (let j = 0; j < D; j++) {
    let s = A[j * D + j]!; for (let k = 0; k < j; k++) s -= A[j * D + k]! ** 2;
    const l = Math.sqrt(s); A[j * D + j] = l;
    for (let i = j + 1; i < D; i++) { let t = A[i * D + j]!; for (let k = 0; k < j; k++) t -= A[i * D + k]! * A[j * D + k]!; A[i * D + j] = t / l; }
    for (let i = 0; i < j; i++) A[i * D + j] = 0;
  }
}
// solve L y = b (forward) and L^T x = y (backward)
function fwd(L: Float64Array, D: number, b: Float64Array): void { for (let i = 0; i < D; i++) { let s = b[i]!; for (let k = 0; k < i; k++) s -= L[i * D + k]! * b[k]!; b[i] = s / L[i * D + i]!; } }
function bwd(L: Float64Array, D: number, b: Float64Array): void { for (let i = D - 1; i >= 0; i--) { let s = b[i]!; for (let k = i + 1; k < D; k++) s -= L[k * D + i]! * b[k]!; b[i] = s / L[i * D + i]!; } }
function invSpd(A: Float64Array, D: number): Float64Array { const L = A.slice(); chol(L, D); const inv = new Float64Array(D * D); const e = new Float64Array(D); for (let c = 0; c < D; c++) { e.fill(0); e[c] = 1; fwd(L, D, e); bwd(L, D, e); for (let r = 0; r < D; r++) inv[r * D + c] = e[r]!; } return inv; }
// Wishart(W, nu) sample via Bartlett: W = L L^T, A lower with sqrt(chi2(nu - i)) diag, N(0,1) below; sample = L A A^T L^T
function wishart(W: Float64Array, nu: number, D: number): Float64Array {
  const L = W.slice(); chol(L, D);
  const A = new Float64Array(D * D);
  for (let i = 0; i < D; i++) { A[i * D + i] = Math.sqrt(2 * gamma((nu - i) / 2)); for (let j = 0; j < i; j++) A[i * D + j] = normal(); }
  const LA = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) { let s = 0; for (let k = 0; k < D; k++) s += L[i * D + k]! * A[k * D + j]!; LA[i * D + j] = s; }
  const out = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) { let s = 0; for (let k = 0; k < D; k++) s += LA[i * D + k]! * LA[j * D + k]!; out[i * D + j] = s; }
  return out;
}

const f = Number(process.env.F ?? 10);
const D = f + 1; // [bias, factors]
const sweeps = Number(process.env.SWEEPS ?? 200);
const burn = Number(process.env.BURN ?? 20);
const nU = table.userIds.size, nI = table.itemIds.size;
const tr = split.train;
let mu = 0; for (const r of tr) mu += table.rating[r]!; mu /= tr.length;
// CSR by user and by item
function csr(rows: Int32Array, key: Int32Array, n: number) { const off = new Int32Array(n + 1); for (const r of rows) off[key[r]! + 1]!++; for (let k = 0; k < n; k++) off[k + 1]! += off[k]!; const pos = off.slice(0, n); const idx = new Int32Array(rows.length); for (const r of rows) idx[pos[key[r]!]!++] = r; return { off, idx }; }
const byU = csr(tr, table.userIndex, nU), byI = csr(tr, table.itemIndex, nI);
const U = new Float64Array(nU * D), V = new Float64Array(nI * D);
for (let k = 0; k < U.length; k++) U[k] = 0.1 * normal();
for (let k = 0; k < V.length; k++) V[k] = 0.1 * normal();
let alpha = Number(process.env.ALPHA ?? 2);
const sampleAlpha = !process.env.ALPHA;
const vu = Int32Array.from(split.valid, (r) => table.userIndex[r]!), vi = Int32Array.from(split.valid, (r) => table.itemIndex[r]!), vr = Float32Array.from(split.valid, (r) => table.rating[r]!);
const acc = new Float64Array(vr.length); let nAcc = 0; const acc2 = new Float64Array(vr.length); let nAcc2 = 0; const thin = Number(process.env.THIN ?? 5);
const [lo, hi] = [table.stats.minRating, table.stats.maxRating];
const beta0 = 2;

function sampleHyper(X: Float64Array, N: number): { m: Float64Array; Lam: Float64Array } {
  const xbar = new Float64Array(D); for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) xbar[d]! += X[n * D + d]! / N;
  const S = new Float64Array(D * D);
  for (let n = 0; n < N; n++) for (let a = 0; a < D; a++) { const da = X[n * D + a]! - xbar[a]!; for (let b = 0; b < D; b++) S[a * D + b]! += da * (X[n * D + b]! - xbar[b]!); }
  const Winv = new Float64Array(D * D); for (let d = 0; d < D; d++) Winv[d * D + d] = 1; // W0 = I
  const c = (beta0 * N) / (beta0 + N);
  for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) Winv[a * D + b]! += S[a * D + b]! + c * xbar[a]! * xbar[b]!;
  const Lam = wishart(invSpd(Winv, D), D + N, D);
  const mstar = xbar.map((x) => (N * x) / (beta0 + N));
  // m ~ N(mstar, ((beta0+N) Lam)^-1): L L^T = (beta0+N)Lam; m = mstar + L^-T z
  const P = Lam.map((x) => x * (beta0 + N)); chol(P, D); const z = new Float64Array(D).map(() => normal()); bwd(P, D, z);
  return { m: mstar.map((x, d) => x + z[d]!), Lam };
}

// update rows of X (n rows) given other side Y; feature of other = [1, factors of Y]? we use: X row = [b_x, p_x], Y row = [b_y, q_y]; 
// pred = mu + b_x + b_y + p·q.  For X: features z = [1, q_y], target t = r - mu - b_y
function sweep(X: Float64Array, Y: Float64Array, n: number, by: { off: Int32Array; idx: Int32Array }, otherKey: Int32Array, hyper: { m: Float64Array; Lam: Float64Array }) {
  const A = new Float64Array(D * D), b = new Float64Array(D), z = new Float64Array(D);
  const Lm = new Float64Array(D); for (let a = 0; a < D; a++) { let s = 0; for (let c = 0; c < D; c++) s += hyper.Lam[a * D + c]! * hyper.m[c]!; Lm[a] = s; }
  for (let x = 0; x < n; x++) {
    A.set(hyper.Lam); b.set(Lm);
    for (let k = by.off[x]!; k < by.off[x + 1]!; k++) {
      const r = by.idx[k]!; const y = otherKey[r]! * D;
      z[0] = 1; for (let d = 1; d < D; d++) z[d] = Y[y + d]!;
      const t = table.rating[r]! - mu - Y[y]!;
      for (let a = 0; a < D; a++) { const za = alpha * z[a]!; b[a]! += za * t; for (let c = 0; c <= a; c++) A[a * D + c]! += za * z[c]!; }
    }
    for (let a = 0; a < D; a++) for (let c = a + 1; c < D; c++) A[a * D + c] = A[c * D + a]!;
    chol(A, D); fwd(A, D, b); bwd(A, D, b); // b = mean
    for (let d = 0; d < D; d++) z[d] = normal(); bwd(A, D, z);
    for (let d = 0; d < D; d++) X[x * D + d] = b[d]! + z[d]!;
  }
}
const t0 = performance.now();
for (let s = 0; s < sweeps; s++) {
  sweep(U, V, nU, byU, table.itemIndex, sampleHyper(U, nU));
  sweep(V, U, nI, byI, table.userIndex, sampleHyper(V, nI));
  if (sampleAlpha) { let sse = 0; for (const r of tr) { const u = table.userIndex[r]! * D, i = table.itemIndex[r]! * D; let p = mu + U[u]! + V[i]!; for (let d = 1; d < D; d++) p += U[u + d]! * V[i + d]!; sse += (table.rating[r]! - p) ** 2; } alpha = gamma(1 + tr.length / 2) / (1 + sse / 2); }
  if (s >= burn) {
    nAcc++;
    for (let k = 0; k < vr.length; k++) { const u = vu[k]! * D, i = vi[k]! * D; let p = mu + U[u]! + V[i]!; for (let d = 1; d < D; d++) p += U[u + d]! * V[i + d]!; acc[k]! += p; if ((s - burn) % thin === 0) acc2[k]! += p; }
    if ((s - burn) % thin === 0) nAcc2++;
  }
  if ((s + 1) % 25 === 0 && nAcc) { let se = 0, se1 = 0; for (let k = 0; k < vr.length; k++) { const p = Math.min(hi, Math.max(lo, acc[k]! / nAcc)); se += (p - vr[k]!) ** 2; const p2 = Math.min(hi, Math.max(lo, acc2[k]! / nAcc2)); se1 += (p2 - vr[k]!) ** 2; } console.log(`sweep ${s + 1} alpha ${alpha.toFixed(3)} rmse ${Math.sqrt(se / vr.length).toFixed(4)} thinned(${nAcc2}) ${Math.sqrt(se1 / vr.length).toFixed(4)} t ${((performance.now() - t0) / 1000).toFixed(1)}s`); }
}
