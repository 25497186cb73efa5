import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs, type Split } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { createEmbeddingDotBias } from '../../model/src/embedding-dot-bias.ts';
import { createAdamW } from '../src/adam.ts';
import { fit, evaluate } from '../src/fit.ts';
import { rmse } from '../src/metrics.ts';
import { createModelData } from '../src/model-data.ts';
import { oneCycleSchedule } from '../src/one-cycle.ts';

await tf.setBackend('cpu');
const table = (await loadRatings('/work/shared/datasets/ml-latest-small')).table;
const outer = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
function inner(train: Int32Array, pct: number, seed: number): Split {
  // seeded shuffle of the training rows
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const idx = Array.from(train);
  for (let k = idx.length - 1; k > 0; k--) { const j = Math.floor(rnd() * (k + 1)); [idx[k], idx[j]] = [idx[j]!, idx[k]!]; }
  const nv = Math.round(pct * idx.length);
  return { train: Int32Array.from(idx.slice(nv)).sort(), valid: Int32Array.from(idx.slice(0, nv)).sort() };
}
const split = process.env.OUTER ? outer : inner(outer.train, 0.15, 7);
const configs = JSON.parse(process.argv[2]!) as any[];
for (const c of configs) {
  const t0 = performance.now();
  const model = createEmbeddingDotBias({ nUsers: table.userIds.size, nItems: table.itemIds.size, nFactors: c.f ?? 50, yRange: [0, 5.5], seed: c.seed ?? 42 });
  const P = (n: string) => model.parameter(n);
  const opt = createAdamW(model.parameters, { lr: c.lr ?? 5e-3, embeddingUpdate: c.upd ?? 'dense', groups: [
    { parameters: [P('userEmbedding'), P('itemEmbedding')], weightDecay: c.wdF ?? 0.1 },
    { parameters: [P('userBias'), P('itemBias')], weightDecay: c.wdB ?? 0.1 },
  ] });
  const data = createModelData(table, split, { batchSize: c.bs ?? 64, seed: c.seed ?? 42 });
  const hist: number[] = [];
  await fit(model, data, c.ep ?? 5, opt, 'mse', { metrics: [rmse], callbacks: [oneCycleSchedule(c.lr ?? 5e-3, c.oc ?? {}), { onEpochEnd: (_x: any, r: any) => void hist.push(r.metrics.rmse) }] });
  const secs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify(c), 'rmse', hist.at(-1)!.toFixed(4), 'hist', hist.map((h) => h.toFixed(4)).join(' '), 'secs', secs.toFixed(1));
  model.dispose();
}
