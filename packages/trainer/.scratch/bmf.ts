import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs, type Split } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { fitBayesianMf } from '../src/fit-bayesian-mf.ts';
const table = (await loadRatings('/work/shared/datasets/ml-latest-small')).table;
const outer = splitByCvIdxs(table, { cvIdx: Number(process.env.CV ?? 0), valPct: 0.2, seed: 42 });
function inner(train: Int32Array, pct: number, seed: number): Split {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const idx = Array.from(train);
  for (let k = idx.length - 1; k > 0; k--) { const j = Math.floor(rnd() * (k + 1)); [idx[k], idx[j]] = [idx[j]!, idx[k]!]; }
  const nv = Math.round(pct * idx.length);
  return { train: Int32Array.from(idx.slice(nv)).sort(), valid: Int32Array.from(idx.slice(0, nv)).sort() };
}
const split = process.env.OUTER ? outer : inner(outer.train, 0.15, 7);
for (const c of JSON.parse(process.argv[2] ?? '[{}]')) {
  const t0 = performance.now();
  const model = fitBayesianMf(table, split.train, { ...c, monitorRows: split.valid, onSweep: (s) => { if ((s.sweep + 1) % 50 === 0) console.log(`  sweep ${s.sweep + 1} α ${s.noisePrecision.toFixed(2)} monitor ${s.monitorRmse.toFixed(4)} ${s.seconds.toFixed(1)}s`); } });
  const secs = (performance.now() - t0) / 1000;
  const p = model.predict(Int32Array.from(split.valid, (r) => table.userIndex[r]!), Int32Array.from(split.valid, (r) => table.itemIndex[r]!));
  let se = 0, ae = 0; split.valid.forEach((r, k) => { se += (p[k]! - table.rating[r]!) ** 2; ae += Math.abs(p[k]! - table.rating[r]!); });
  console.log(JSON.stringify(c), 'model rmse', Math.sqrt(se / p.length).toFixed(4), 'mae', (ae / p.length).toFixed(4), 'secs', secs.toFixed(1));
}
