#!/usr/bin/env python3
"""Quick numpy prototypes for the `topn` recipe (issue #13), all on the inner split only.

Every candidate is trained on @cf/data's `innerSplit` of ml-latest-small cvIdx 0's training rows
(the same rows `topn_anchors.py` tunes on) and scored with the same `ranking_metrics` (cf's
`rankingMetrics`) on the inner validation rows; the reported validation rows are never read. These
are prototypes to decide what to build in TypeScript, so the iALS here is a numpy twin of
`fitImplicitAls` (same objective, Cholesky row solves, frequency-scaled regularisation; only the
random initial factors differ). The rows are in the trainer README's top-N selection table.

Groups (each prints `name: ndcg recall`):
  ratings   rating-dependent confidence and target inside iALS (low ratings as negatives, ...)
  twostage  iALS (exposure) combined with a biased-MF rating model (will rate x will like)
  itemitem  rating-weighted EASE (dense: an anchor only), item-kNN and RP3beta with top-k
            neighbourhoods, alone and blended with iALS
  factors   iALS with 128 and 256 factors, seed averaging, blends of two iALS variants

One thread, float64. Usage:
  CF_DATA_DIR=../shared/datasets /usr/bin/python3 bench/numpy/topn_explore.py [group ...]
"""
import os
import sys
import time

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import topn_anchors as ta  # noqa: E402

DATA = os.environ.get('CF_DATA_DIR')
if not DATA:
    raise SystemExit('set CF_DATA_DIR to the folder that contains ml-latest-small/')

user, item, rating, folds = ta.load_ml_latest_small(DATA)
TRAIN, VALID = ta.inner_split(folds[0][1])
N_USERS, N_ITEMS = int(user.max()) + 1, int(item.max()) + 1


def report(name, scores):
    m = ta.ranking_metrics(scores.copy(), user, item, rating, TRAIN, VALID)
    print('%s: %.4f %.4f' % (name, m['ndcg'], m['recall']), flush=True)
    return m


def grouped(rows_of, cols_of, values, n):
    order = np.argsort(rows_of, kind='stable')
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows_of, minlength=n))])
    return offsets, cols_of[order], [v[order] for v in values]


def ials(conf, target, f=64, sweeps=8, a0=0.1, lam=0.01, nu=1.0, seed=42):
    """iALS: each row solves (a0 G + sum c y y^T + lam (n + a0 N)^nu I) x = sum c t y."""
    u, i, r = user[TRAIN], item[TRAIN], rating[TRAIN]
    c, t = conf(r).astype(np.float64), target(r).astype(np.float64)
    rng = np.random.RandomState(seed)
    p = rng.normal(0, 0.1 / np.sqrt(f), (N_USERS, f))
    q = rng.normal(0, 0.1 / np.sqrt(f), (N_ITEMS, f))
    by_user, by_item = grouped(u, i, [c, t], N_USERS), grouped(i, u, [c, t], N_ITEMS)

    def half(data, other, n):
        offsets, cols, (cc, tt) = data
        gramian = a0 * other.T @ other
        out = np.zeros((n, f))
        for x in range(n):
            s, e = offsets[x], offsets[x + 1]
            o = other[cols[s:e]]
            a = gramian + (o.T * cc[s:e]) @ o
            a[np.diag_indices(f)] += lam * ((e - s) + a0 * len(other)) ** nu
            out[x] = np.linalg.solve(a, o.T @ (cc[s:e] * tt[s:e]))
        return out

    for _ in range(sweeps):
        p = half(by_user, q, N_USERS)
        q = half(by_item, p, N_ITEMS)
    return p @ q.T


def biased_mf(f=32, lam=10.0, lam_bias=5.0, sweeps=10, seed=1):
    """Explicit biased MF by ALS: r ~ mu + b_u + b_i + p_u . q_i; returns every predicted rating."""
    u, i, r = user[TRAIN], item[TRAIN], rating[TRAIN]
    mu = r.mean()
    rng = np.random.RandomState(seed)
    p, q = rng.normal(0, 0.1, (N_USERS, f)), rng.normal(0, 0.1, (N_ITEMS, f))
    bu, bi = np.zeros(N_USERS), np.zeros(N_ITEMS)
    by_user, by_item = grouped(u, i, [r], N_USERS), grouped(i, u, [r], N_ITEMS)
    penalty = np.diag(np.r_[np.full(f, lam), lam_bias])

    def half(data, other, other_bias, n):
        offsets, cols, (rr,) = data
        augmented = np.hstack([other, np.ones((len(other), 1))])
        out, bias = np.zeros((n, f)), np.zeros(n)
        for x in range(n):
            s, e = offsets[x], offsets[x + 1]
            if e == s:
                continue
            o = augmented[cols[s:e]]
            sol = np.linalg.solve(o.T @ o + penalty, o.T @ (rr[s:e] - mu - other_bias[cols[s:e]]))
            out[x], bias[x] = sol[:f], sol[f]
        return out, bias

    for _ in range(sweeps):
        p, bu = half(by_user, q, bi, N_USERS)
        q, bi = half(by_item, p, bu, N_ITEMS)
    pred = mu + bu[user[VALID]] + bi[item[VALID]] + (p[user[VALID]] * q[item[VALID]]).sum(1)
    print('biased MF inner RMSE %.4f' % np.sqrt(np.mean((np.clip(pred, 0.5, 5) - rating[VALID]) ** 2)))
    return mu + bu[:, None] + bi[None, :] + p @ q.T


def top_k_columns(w, k):
    w = w.copy()
    np.put_along_axis(w, np.argpartition(-w, k, axis=1)[:, k:], 0, axis=1)
    return w


def z(s):
    return s / s.std()


def conf_default(r):
    return np.where(r >= 4, 1.0, 0.1)


def ones(r):
    return np.ones_like(r)


def group_ratings(base):
    for lo_c, lo_t in [(0.3, 0.0), (1.0, 0.0), (0.1, -0.5), (0.3, -0.5), (1.0, -0.5)]:
        report('low ratings: confidence %g, target %g' % (lo_c, lo_t),
               ials(lambda r, c=lo_c: np.where(r >= 4, 1, c), lambda r, t=lo_t: np.where(r >= 4, 1, t)))
    report('confidence 2 for >= 4.5', ials(lambda r: np.where(r >= 4.5, 2, conf_default(r)), ones))
    report('confidence (r/5)^2', ials(lambda r: (r / 5) ** 2, ones))


def group_twostage(base):
    predicted = biased_mf()
    for beta in [0.01, 0.02, 0.05, 0.1, 0.2]:
        report('iALS + %g * MF rating' % beta, base + beta * predicted)
    for gamma in [0.5, 1, 2, 4]:
        report('max(iALS, 0) * sigmoid(%g (MF rating - 3.5))' % gamma,
               np.maximum(base, 0) / (1 + np.exp(-gamma * (predicted - 3.5))))


def group_itemitem(base):
    x = ta.matrix(user, item, np.where(rating[TRAIN] >= 4, 1, 0.3), TRAIN, N_USERS, N_ITEMS)
    ease = ta.Ease(x)
    for lam in [100, 200, 500]:
        report('weighted EASE lam %d (dense, anchor only)' % lam, ease.scores(lam))
    e = ease.scores(100)
    for w in [0.25, 0.5, 1]:
        report('iALS + %g weighted EASE (z-scaled)' % w, z(base) + w * z(e))
    norms = np.sqrt((x ** 2).sum(0)) + 1e-9
    cosine = (x.T @ x) / norms[:, None] / norms[None, :]
    np.fill_diagonal(cosine, 0)
    for k in [50, 200]:
        knn = x @ top_k_columns(cosine, k)
        report('item-kNN cosine, weighted input, k %d' % k, knn)
        for w in [0.5, 1]:
            report('  iALS + %g item-kNN k %d (z-scaled)' % (w, k), z(base) + w * z(knn))
    binary = (x > 0).astype(float)
    pui = x / np.maximum(x.sum(1, keepdims=True), 1e-9)
    piu = (x / np.maximum(x.sum(0, keepdims=True), 1e-9)).T
    for alpha, beta in [(1.0, 0.5), (0.8, 0.4)]:
        w = (piu ** alpha) @ (pui ** alpha) / np.maximum(binary.sum(0), 1)[None, :] ** beta
        np.fill_diagonal(w, 0)
        rp3 = x @ top_k_columns(w, 200)
        report('RP3beta alpha %g beta %g k 200' % (alpha, beta), rp3)
        report('  iALS + 0.5 RP3beta (z-scaled)', z(base) + 0.5 * z(rp3))


def group_factors(base):
    report('iALS seed 7', ials(conf_default, ones, seed=7))
    report('mean of iALS seeds 42 and 7', base + ials(conf_default, ones, seed=7))
    everything = ials(ones, ones, seed=7)
    report('iALS, every rating confidence 1', everything)
    report('iALS + 0.5 iALS(every rating 1)', base + 0.5 * everything)
    big = ials(conf_default, ones, f=128)
    report('iALS 128 factors', big)
    report('iALS 256 factors', ials(conf_default, ones, f=256))
    big_everything = ials(ones, ones, f=128, seed=7)
    report('iALS 128 + 0.5 iALS 128 (every rating 1)', big + 0.5 * big_everything)


GROUPS = {'ratings': group_ratings, 'twostage': group_twostage, 'itemitem': group_itemitem,
          'factors': group_factors}

if __name__ == '__main__':
    started = time.perf_counter()
    base = ials(conf_default, ones)
    report('iALS 64 factors (the numpy twin of the old recipe)', base)
    for name in sys.argv[1:] or list(GROUPS):
        print('## %s' % name, flush=True)
        GROUPS[name](base)
    print('%.0f s' % (time.perf_counter() - started))
