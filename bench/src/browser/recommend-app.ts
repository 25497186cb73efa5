// The smallest app cf is for: a page that loads a model saved by `cf train` (served next to it) and
// shows a prediction and a top 10. It uses @cf/model/inference, which needs no tfjs at all: cf
// predicts and ranks on the host. `pnpm bench browser-bundle` bundles this file as an app would and
// measures it.
import { loadInferenceModel } from '@cf/model/inference';

/** What the page computed (read by the benchmark). */
export interface RecommendAppResult {
  prediction: number;
  top10: { itemId: string | number; score: number }[];
}

declare global {
  interface Window {
    cfApp?: Promise<RecommendAppResult>;
  }
}

async function main(): Promise<RecommendAppResult> {
  const params = new URLSearchParams(location.search);
  const model = await loadInferenceModel(params.get('model') ?? 'models/m/model.json');
  const user = Number(params.get('user') ?? 1);
  const item = Number(params.get('item') ?? 1);
  const prediction = model.predict(user, item).rating;
  const top10 = model.recommend(user, { k: 10 }).map(({ itemId, score }) => ({ itemId, score }));
  document.body.textContent = `user ${user}: ${top10.map((r) => r.itemId).join(', ')}`;
  return { prediction, top10 };
}

window.cfApp = main();
