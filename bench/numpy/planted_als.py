"""How close to the planted floor can a correctly specified model get on these data?

Biased matrix factorisation of the planted generator's own rank (16) fitted by alternating ridge
least squares (ALS; each user's [factors, bias] and each item's solved exactly given the other
side), with its ridge lambda chosen on cf's inner split of the fold-0 training rows
(`innerSplit`: RandomState(42).permutation(n_train)[:int(0.2 n_train)] held out), then refitted on
all fold-0 training rows and scored once on the fold-0 validation rows (getCvIdxs cvIdx 0, valPct
0.2, seed 42), the rows `cf train` reports. A yardstick for the fastai recipe's distance from
`planted.json`'s bestRmse: what is left with the right rank, the right model and exact solves is
the price of estimating each user's and item's parameters from its own few ratings.

Usage: planted_als.py FOLDER [LAMBDAS=3,10,30] [SWEEPS=8]
Prints one JSON line per lambda (inner RMSE), then the refit's validation RMSE. With one lambda
(chosen on another file's inner split) it goes straight to the refit.
"""
import json
import os
import sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

RANK = 16


def read(folder):
    df = pd.read_csv(os.path.join(folder, 'ratings.csv'), usecols=[0, 1, 2],
                     dtype={'userId': np.int64, 'movieId': np.int64, 'rating': np.float32})
    users, u = np.unique(df['userId'].to_numpy(), return_inverse=True)
    items, i = np.unique(df['movieId'].to_numpy(), return_inverse=True)
    return u.astype(np.int32), i.astype(np.int32), df['rating'].to_numpy(np.float64), len(users), len(items)


def cv_fold0(n):
    n_val = int(0.2 * n)
    mask = np.zeros(n, bool)
    mask[np.random.RandomState(42).permutation(n)[:n_val]] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def inner(rows):
    n = len(rows)
    mask = np.zeros(n, bool)
    mask[np.random.RandomState(42).permutation(n)[: int(0.2 * n)]] = True
    return rows[~mask], rows[mask]


def solve_side(own, other_index, target, other_aug, n_own, lam, chunk=400_000):
    """Ridge solve of every own row's [factors, bias] against the other side's [factors, 1]."""
    k = other_aug.shape[1]
    order = np.argsort(own, kind='stable')
    own_s, oth_s, t_s = own[order], other_index[order], target[order]
    a = np.zeros((n_own, k, k))
    b = np.zeros((n_own, k))
    for start in range(0, len(own_s), chunk):
        o = own_s[start:start + chunk]
        x = other_aug[oth_s[start:start + chunk]]
        # per-row outer products summed per own row, via one matmul per distinct own row block
        bounds = np.flatnonzero(np.diff(o)) + 1
        starts = np.concatenate(([0], bounds))
        outer = x[:, :, None] * x[:, None, :]
        a[o[starts]] += np.add.reduceat(outer, starts, axis=0)
        b[o[starts]] += np.add.reduceat(x * t_s[start:start + chunk, None], starts, axis=0)
    reg = lam * np.eye(k)
    return np.linalg.solve(a + reg, b[..., None])[..., 0]


def fit(u, i, r, n_users, n_items, lam, sweeps, seed=0):
    rng = np.random.default_rng(seed)
    mu = r.mean()
    q = np.concatenate([rng.normal(0, 0.1, (n_items, RANK)), np.zeros((n_items, 1))], axis=1)
    p = np.zeros((n_users, RANK + 1))
    for _ in range(sweeps):
        # users: target r - mu - b_i against [q_i, 1]
        x = solve_side(u, i, r - mu - q[i, RANK], np.concatenate([q[:, :RANK], np.ones((n_items, 1))], 1), n_users, lam)
        p = x
        # items: target r - mu - b_u against [p_u, 1]
        q = solve_side(i, u, r - mu - p[u, RANK], np.concatenate([p[:, :RANK], np.ones((n_users, 1))], 1), n_items, lam)
    return mu, p, q


def predict(model, u, i):
    mu, p, q = model
    s = mu + p[u, RANK] + q[i, RANK] + np.einsum('nk,nk->n', p[u, :RANK], q[i, :RANK])
    return np.clip(s, 0.5, 5.0)


def rmse(model, u, i, r, rows):
    return float(np.sqrt(np.mean((predict(model, u[rows], i[rows]) - r[rows]) ** 2)))


def main():
    folder = sys.argv[1]
    lams = [float(x) for x in (sys.argv[2] if len(sys.argv) > 2 else '3,10,30').split(',')]
    sweeps = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    u, i, r, n_users, n_items = read(folder)
    train, valid = cv_fold0(len(r))
    itrain, ivalid = inner(train)
    best = (lams[0], float('nan')) if len(lams) == 1 else None  # one lambda: no selection to make
    for lam in lams if best is None else []:
        m = fit(u[itrain], i[itrain], r[itrain], n_users, n_items, lam, sweeps)
        score = rmse(m, u, i, r, ivalid)
        print(json.dumps({'folder': folder, 'lambda': lam, 'sweeps': sweeps, 'innerRmse': score}), flush=True)
        if best is None or score < best[1]:
            best = (lam, score)
    m = fit(u[train], i[train], r[train], n_users, n_items, best[0], sweeps)
    floor = json.load(open(os.path.join(folder, 'planted.json')))['bestRmse']
    val = rmse(m, u, i, r, valid)
    print(json.dumps({'folder': folder, 'chosenLambda': best[0], 'validRmse': val, 'bestRmse': floor,
                      'aboveFloor': val / floor - 1}), flush=True)


if __name__ == '__main__':
    main()
