// The fastai 0.7 notebook "Collaborative Filtering with Neural Nets" (lesson 5, MovieLens), line by
// line in cf. Each block quotes the Python it mirrors, so the two read side by side.
// Run: `pnpm notebook` (data from $CF_DATA_DIR/ml-latest-small, or pass a MovieLens folder).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getCvIdxs, splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { createEmbeddingNet, fitBiasBaseline } from '@cf/model';
import {
  createAdam,
  createModelData,
  evaluate,
  fit,
  printEpochTable,
  rmse,
  setLrs,
} from '@cf/trainer';
import { dataFolder, epochs } from './settings.js';

// from fastai.learner import *; from fastai.column_data import *
await tf.setBackend('cpu'); // cf trains with its fused host kernels on cpu (and wasm)

// path='data/ml-latest-small/'
const path = dataFolder();

// ratings = pd.read_csv(path+'ratings.csv')
// u_uniq = ratings.userId.unique(); user2idx = {o:i for i,o in enumerate(u_uniq)}
// ratings.userId = ratings.userId.apply(lambda x: user2idx[x])
// m_uniq = ratings.movieId.unique(); movie2idx = {o:i for i,o in enumerate(m_uniq)}
// ratings.movieId = ratings.movieId.apply(lambda x: movie2idx[x])
//   → loadRatings remaps both id columns to dense indices in order of first appearance (what
//     pandas' unique() gives): table.userIndex / table.itemIndex, with the maps in userIds / itemIds.
const { table } = await loadRatings(path, { idOrder: 'first-appearance' });
console.log(`## ratings\n${table.stats.count} ratings from ${path}`);

// n_users=int(ratings.userId.nunique()); n_movies=int(ratings.movieId.nunique())
const nUsers = table.userIds.size;
const nMovies = table.itemIds.size;
// min_rating,max_rating = ratings.rating.min(),ratings.rating.max()
const { minRating, maxRating } = table.stats;
console.log(`n_users ${nUsers}, n_movies ${nMovies}, ratings ${minRating}–${maxRating}`);

// val_idxs = get_cv_idxs(len(ratings))
const valIdxs = getCvIdxs(table.stats.count); // cv_idx 0, val_pct 0.2, seed 42: numpy's exact permutation
// x = ratings.drop(['rating', 'timestamp'],axis=1); y = ratings['rating'].astype(np.float32)
// data = ColumnarModelData.from_data_frame(path, val_idxs, x, y, ['userId', 'movieId'], 64)
const split = splitByCvIdxs(table); // the same val_idxs as rows; train is every other row
const data = createModelData(table, split, { batchSize: 64 });
console.log(`val_idxs: ${valIdxs.length} validation rows, ${split.train.length} training rows`);

// n_factors = 50
const nFactors = 50;
// class EmbeddingNet(nn.Module):
//     def __init__(self, n_users, n_movies, nh=10, p1=0.5, p2=0.5):
//         (self.u, self.m) = [get_emb(*o) for o in [(n_users, n_factors), (n_movies, n_factors)]]
//         self.lin1 = nn.Linear(n_factors*2, nh); self.lin2 = nn.Linear(nh, 1)
//         self.drop1 = nn.Dropout(p1); self.drop2 = nn.Dropout(p2)
//     def forward(self, cats, conts):
//         x = self.drop1(torch.cat([self.u(users),self.m(movies)], dim=1))
//         x = self.drop2(F.relu(self.lin1(x)))
//         return F.sigmoid(self.lin2(x)) * (max_rating-min_rating+1) + min_rating-0.5
// model = EmbeddingNet(n_users, n_movies).cuda()
const model = createEmbeddingNet({
  nUsers,
  nItems: nMovies,
  nFactors,
  hidden: [10],
  dropout: [0.5, 0.5],
  ratingRange: [minRating, maxRating],
  seed: 42,
});

// wd=2e-5  (this repository's reference run; the notebook's L2 on Adam)
const wd = 2e-5;
// opt = optim.Adam(model.parameters(), 1e-3, weight_decay=wd)
const opt = createAdam(model.parameters, { lr: 1e-3, weightDecay: wd });

// fit(model, data, 5, opt, F.mse_loss)
console.log('\n## fit');
await fit(model, data, epochs(5), opt, 'mse', { metrics: [rmse], callbacks: [printEpochTable()] });

// set_lrs(opt, 1e-3)
setLrs(opt, 1e-3);
// fit(model, data, 10, opt, F.mse_loss)
console.log('\n## set_lrs(opt, 1e-3); fit');
await fit(model, data, epochs(10), opt, 'mse', { metrics: [rmse], callbacks: [printEpochTable()] });

// math.sqrt(val_loss)  (the notebook reads the RMSE off the last row; here it is computed, next to the bias baseline)
const final = evaluate(model, data, [rmse]).metrics['rmse']!;
const baseline = fitBiasBaseline(table, split.train);
const baselineRmse = evaluate(baseline, data, [rmse]).metrics['rmse']!;
console.log(
  `\n## RMSE\nvalidation RMSE ${final.toFixed(4)} (bias baseline ${baselineRmse.toFixed(4)})`,
);
model.dispose();
baseline.dispose();
