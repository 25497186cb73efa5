#!/usr/bin/env python3
"""Top-N reference anchors for `pnpm bench topn`: popularity, PureSVD, EASE and rating-weighted EASE.

The protocol is cf's `rankingMetrics` (packages/trainer/src/ranking-metrics.ts), reproduced here:
for each user every item is scored, the user's training items are excluded, the top k = 10 are
taken (ties to the lower item index), and compared with the user's relevant validation items
(rating >= 4). Binary relevance, NDCG with log2 discounts; the mean is over the users with at least
one relevant validation item.

Data and indices are cf's, bit for bit:
  ml-latest-small  ratings.csv, user and item ids in first-appearance order (cf's default idOrder),
                   the five fastai 0.7 get_cv_idxs folds (valPct 0.2, seed 42) as @cf/data's
                   `cvIdxFolds` / `splitByCvIdxs` give them.
  ml-100k          u.data in first-appearance order; the u1-u5 .base/.test files matched to u.data
                   rows, as @cf/data's `loadPredefinedFolds` does.
`pnpm bench topn` recomputes popularity with cf's own `rankingMetrics` on the same folds and checks
that both sides agree (so the two tables are comparable), and checks the inner splits' checksums.

Models (X is the fold's users x items training matrix; scores are computed for every user):
  popularity       the number of training rows of each item.
  puresvd          Cremonesi et al. 2010: X (binary: 1 for every training row) ~ U S V^T with 50
                   factors; scores X V V^T.
  ease             Steck 2019: B = argmin ||X - XB||^2 + lam ||B||^2, diag(B) = 0, on binary X;
                   scores X B. lam tuned on the inner split.
  ease-weighted    EASE on rating-weighted input: X_ui = 1 for a rating >= 4, w below; lam and w
                   tuned on the inner split.

EASE's closed form needs P = (X^T X + lam I)^-1 (items x items, 9,724^2 here). Because these data
sets have far fewer users than items, P is applied through the Woodbury identity instead of being
formed: with K = X X^T (users x users) and M = (K + lam I)^-1,
  X P = M X,   diag(P)_j = (1 - x_j^T M x_j) / lam,   scores = X B = X - (M X) diag(P)^-1.
This is exact (checked against the direct inverse on a random problem at start-up), and makes a
(lam, w) point cost a users x users solve instead of an items x items inverse.

Inner split (every choice is made on it, never on the reported validation rows): a random 20 % of
the fold's training rows, seed 42, exactly @cf/data's `innerSplit(split)`:
np.random.RandomState(42).permutation(n_train)[:int(0.2 * n_train)] indexes the fold's (ascending)
training rows; those are the inner validation rows, the rest the inner training rows. The models
are refitted on all the fold's training rows with the chosen values.

One thread (OPENBLAS/OMP/MKL_NUM_THREADS=1 unless set), float64. Usage:
  CF_DATA_DIR=../shared/datasets /usr/bin/python3 bench/numpy/topn_anchors.py [--datasets ml-latest-small,ml-100k] [--folds 0,1,2,3,4] [--out bench/results/topn-anchors.json]
Prints a table per data set and writes the JSON (one entry per data set, model and fold, with the
chosen hyper-parameters, the inner-split grid, the metrics and the fit seconds).
"""
import os

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import argparse
import json
import platform
import sys
import time

import numpy as np
import pandas as pd

K = 10
RELEVANT = 4.0
INNER_VAL_PCT = 0.2
INNER_SEED = 42
EASE_LAMBDAS = [25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2500]
EASE_WEIGHTS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7]
PURE_SVD_FACTORS = 50


# ---------------------------------------------------------------- data (cf's tables and folds)


def load_ml_latest_small(data_dir):
    df = pd.read_csv(os.path.join(data_dir, 'ml-latest-small', 'ratings.csv'))
    user, _ = pd.factorize(df['userId'])  # first-appearance order, as cf's default idOrder
    item, _ = pd.factorize(df['movieId'])
    rating = df['rating'].to_numpy(np.float64)
    n = len(df)
    folds = []
    n_val = int(0.2 * n)
    perm = np.random.RandomState(42).permutation(n)
    for cv_idx in range(5):
        mask = np.zeros(n, bool)
        mask[perm[cv_idx * n_val:(cv_idx + 1) * n_val]] = True
        folds.append(('cvIdx %d' % cv_idx, np.flatnonzero(~mask), np.flatnonzero(mask)))
    return user, item, rating, folds


def load_ml_100k(data_dir):
    folder = os.path.join(data_dir, 'ml-100k')
    names = ['user', 'item', 'rating', 'timestamp']
    df = pd.read_csv(os.path.join(folder, 'u.data'), sep='\t', names=names)
    user, _ = pd.factorize(df['user'])
    item, _ = pd.factorize(df['item'])
    rating = df['rating'].to_numpy(np.float64)
    keyed = df.assign(row=np.arange(len(df)))

    def rows_of(file):
        part = pd.read_csv(os.path.join(folder, file), sep='\t', names=names)
        merged = part.merge(keyed, on=['user', 'item', 'timestamp'], how='left')
        if merged['row'].isna().any():
            raise SystemExit('%s has a row that u.data lacks' % file)
        return merged['row'].to_numpy(np.int64)

    folds = [('u%d' % f, rows_of('u%d.base' % f), rows_of('u%d.test' % f)) for f in range(1, 6)]
    return user, item, rating, folds


def inner_split(train_rows):
    """@cf/data's innerSplit: a seeded 20 % of the fold's training rows held out."""
    rows = np.sort(train_rows)
    n = len(rows)
    held = np.random.RandomState(INNER_SEED).permutation(n)[: int(INNER_VAL_PCT * n)]
    mask = np.zeros(n, bool)
    mask[held] = True
    return rows[~mask], rows[mask]


def checksum(rows):
    rows = np.sort(rows).astype(np.int64)
    return {'count': int(len(rows)), 'sum': int(rows.sum()), 'sumOfSquares': int((rows * rows).sum())}


# ---------------------------------------------------------------- the metric (cf's rankingMetrics)


def ranking_metrics(scores, user, item, rating, train_rows, valid_rows, k=K):
    """cf's rankingMetrics on a dense users x items score matrix (modified in place)."""
    scores[user[train_rows], item[train_rows]] = -np.inf
    rel = valid_rows[rating[valid_rows] >= RELEVANT]
    relevant = {}
    for u, i in zip(user[rel], item[rel]):
        relevant.setdefault(int(u), set()).add(int(i))
    idcg = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(k) + 2))])
    discount = 1.0 / np.log2(np.arange(k) + 2)
    totals = np.zeros(4)
    users = sorted(relevant)
    for u in users:
        s = scores[u]
        # top k, ties to the lower index: a stable sort of -score over the k-th best's candidates
        cut = np.partition(-s, k - 1)[k - 1] if len(s) > k else np.inf
        cand = np.flatnonzero(-s <= cut)
        cand = cand[np.argsort(-s[cand], kind='stable')][:k]
        cand = cand[np.isfinite(s[cand])]
        rel_u = relevant[u]
        hit = np.array([int(i) in rel_u for i in cand], bool)
        hits = int(hit.sum())
        dcg = float(discount[: len(cand)][hit].sum())
        totals += [hits / k, hits / len(rel_u), dcg / idcg[min(k, len(rel_u))], 1.0 if hits else 0.0]
    mean = totals / len(users) if users else np.full(4, np.nan)
    return {
        'precision': float(mean[0]),
        'recall': float(mean[1]),
        'ndcg': float(mean[2]),
        'hitRate': float(mean[3]),
        'users': len(users),
    }


# ---------------------------------------------------------------- models


def matrix(user, item, values, rows, n_users, n_items):
    x = np.zeros((n_users, n_items))
    x[user[rows], item[rows]] = values
    return x


def popularity_scores(x_binary):
    return np.tile(x_binary.sum(axis=0), (x_binary.shape[0], 1))


def pure_svd_scores(x, factors=PURE_SVD_FACTORS):
    # the top right singular vectors of X are the top eigenvectors of X^T X; X X^T is the small one
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    v = vt[:factors].T
    return (x @ v) @ v.T


class Ease:
    """EASE scores X B for several lambdas from one eigendecomposition of K = X X^T."""

    def __init__(self, x):
        self.x = x
        eigenvalues, self.q = np.linalg.eigh(x @ x.T)
        self.eigenvalues = np.maximum(eigenvalues, 0.0)
        self.qx = self.q.T @ x  # users x items

    def scores(self, lam):
        mx = self.q @ (self.qx / (self.eigenvalues + lam)[:, None])  # M X = (K + lam I)^-1 X
        diag_p = (1.0 - np.einsum('ui,ui->i', self.x, mx)) / lam
        return self.x - mx / diag_p


def check_woodbury():
    rng = np.random.RandomState(0)
    x = (rng.rand(30, 50) < 0.2) * rng.choice([1.0, 0.3], size=(30, 50))
    lam = 7.0
    p = np.linalg.inv(x.T @ x + lam * np.eye(50))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    direct = x @ b
    assert np.allclose(Ease(x).scores(lam), direct, atol=1e-10), 'Woodbury EASE differs from the direct inverse'


# ---------------------------------------------------------------- one fold


def weighted(rating, w):
    return np.where(rating >= RELEVANT, 1.0, w)


def run_fold(user, item, rating, train_rows, valid_rows, n_users, n_items, log):
    out = {}
    inner_train, inner_valid = inner_split(train_rows)
    out['innerSplit'] = {'train': checksum(inner_train), 'valid': checksum(inner_valid)}
    ones = np.ones(len(train_rows))

    def evaluate(scores, tr, va):
        return ranking_metrics(scores, user, item, rating, tr, va)

    def timed(fn):
        start = time.perf_counter()
        value = fn()
        return value, time.perf_counter() - start

    # popularity
    scores, seconds = timed(lambda: popularity_scores(matrix(user, item, ones, train_rows, n_users, n_items)))
    out['popularity'] = {'metrics': evaluate(scores, train_rows, valid_rows), 'fitSeconds': seconds, 'hyperParameters': {}}

    # PureSVD on binary input
    scores, seconds = timed(lambda: pure_svd_scores(matrix(user, item, ones, train_rows, n_users, n_items)))
    out['puresvd'] = {
        'metrics': evaluate(scores, train_rows, valid_rows),
        'fitSeconds': seconds,
        'hyperParameters': {'factors': PURE_SVD_FACTORS, 'input': 'binary'},
    }

    # EASE and weighted EASE: the grid on the inner split
    grid = []
    for w in [1.0] + EASE_WEIGHTS:
        ease = Ease(matrix(user, item, weighted(rating[inner_train], w), inner_train, n_users, n_items))
        for lam in EASE_LAMBDAS:
            m = evaluate(ease.scores(lam), inner_train, inner_valid)
            grid.append({'w': w, 'lambda': lam, 'innerNdcg': m['ndcg'], 'innerRecall': m['recall']})
        log('    inner grid w %.1f: best NDCG %.4f' % (w, max(g['innerNdcg'] for g in grid if g['w'] == w)))
    for name, candidates in (('ease', [g for g in grid if g['w'] == 1.0]), ('ease-weighted', grid)):
        best = max(candidates, key=lambda g: g['innerNdcg'])
        w, lam = best['w'], best['lambda']
        values = weighted(rating[train_rows], w)
        scores, seconds = timed(lambda: Ease(matrix(user, item, values, train_rows, n_users, n_items)).scores(lam))
        out[name] = {
            'metrics': evaluate(scores, train_rows, valid_rows),
            'fitSeconds': seconds,
            'hyperParameters': {'lambda': lam, **({'w': w} if name == 'ease-weighted' else {})},
            'innerNdcg': best['innerNdcg'],
            'innerGrid': candidates if name == 'ease' else grid,
        }
    return out


def summarise(name, folds, models):
    mean = {}
    for model in models:
        keys = ['ndcg', 'recall', 'precision', 'hitRate']
        mean[model] = {key: float(np.mean([f[model]['metrics'][key] for f in folds])) for key in keys}
        mean[model]['fitSeconds'] = float(np.mean([f[model]['fitSeconds'] for f in folds]))
    return mean


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--datasets', default='ml-latest-small,ml-100k')
    parser.add_argument('--folds', default='0,1,2,3,4')
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument('--out', default=os.path.join(here, '..', 'results', 'topn-anchors.json'))
    parser.add_argument('--untuned', action='store_true', help="also report the issue's untuned points (lam 200, w 0.3) on the first fold")
    args = parser.parse_args()
    data_dir = os.environ.get('CF_DATA_DIR') or os.path.join(here, '..', '..', '..', 'shared', 'datasets')
    check_woodbury()
    log = lambda text: print(text, file=sys.stderr, flush=True)
    fold_numbers = [int(f) for f in args.folds.split(',')]
    models = ['popularity', 'puresvd', 'ease', 'ease-weighted']
    result = {
        'about': __doc__.split('\n')[0],
        'protocol': {'k': K, 'relevantAtLeast': RELEVANT, 'excludeTraining': True, 'sampled': False},
        'innerSplit': {'valPct': INNER_VAL_PCT, 'seed': INNER_SEED},
        'grid': {'lambda': EASE_LAMBDAS, 'w': EASE_WEIGHTS},
        'numpy': np.__version__,
        'python': platform.python_version(),
        'threads': os.environ['OPENBLAS_NUM_THREADS'],
        'date': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'loadAverage': os.getloadavg()[0],
        'datasets': {},
    }
    for dataset in args.datasets.split(','):
        loader = {'ml-latest-small': load_ml_latest_small, 'ml-100k': load_ml_100k}[dataset]
        user, item, rating, folds = loader(data_dir)
        n_users, n_items = int(user.max()) + 1, int(item.max()) + 1
        log('%s: %d ratings, %d users, %d items' % (dataset, len(rating), n_users, n_items))
        entries = []
        for f in fold_numbers:
            fold_name, train_rows, valid_rows = folds[f]
            log('  %s: %d train, %d valid' % (fold_name, len(train_rows), len(valid_rows)))
            entry = run_fold(user, item, rating, train_rows, valid_rows, n_users, n_items, log)
            entry['fold'] = fold_name
            if args.untuned and f == fold_numbers[0]:
                untuned = {}
                for label, w in (('ease', 1.0), ('ease-weighted', 0.3)):
                    x = matrix(user, item, weighted(rating[train_rows], w), train_rows, n_users, n_items)
                    untuned[label] = ranking_metrics(Ease(x).scores(200.0), user, item, rating, train_rows, valid_rows)
                    untuned[label]['hyperParameters'] = {'lambda': 200, 'w': w}
                entry['untuned'] = untuned
            for model in models:
                m = entry[model]['metrics']
                log('    %-14s NDCG %.4f recall %.4f HR %.4f  %s  %.1f s' % (
                    model, m['ndcg'], m['recall'], m['hitRate'], entry[model]['hyperParameters'], entry[model]['fitSeconds']))
            entries.append(entry)
        result['datasets'][dataset] = {
            'nRatings': int(len(rating)),
            'nUsers': n_users,
            'nItems': n_items,
            'folds': entries,
            'mean': summarise(dataset, entries, models) if len(entries) > 1 else None,
        }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp-%d' % os.getpid()
    with open(tmp, 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')
    os.replace(tmp, args.out)
    for dataset, d in result['datasets'].items():
        print('\n%s (%s)' % (dataset, ', '.join(e['fold'] for e in d['folds'])))
        print('| model | NDCG@10 first fold | NDCG@10 mean | Recall@10 mean | HR@10 mean | hyper-parameters (first fold) |')
        print('| --- | --- | --- | --- | --- | --- |')
        for model in models:
            first = d['folds'][0][model]
            mean = d['mean'][model] if d['mean'] else first['metrics']
            print('| %s | %.4f | %.4f | %.4f | %.4f | %s |' % (
                model, first['metrics']['ndcg'], mean['ndcg'], mean['recall'], mean['hitRate'], first['hyperParameters']))
    print('\nwrote %s' % os.path.relpath(args.out))


if __name__ == '__main__':
    main()
