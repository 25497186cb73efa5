#!/usr/bin/env python3
"""Time and session features for the `topn` recipe (issue #13), screened on the inner split only.

The split of ml-latest-small is random over ratings, so a user's held-out items were rated in the
same sessions as their training items. These prototypes use only the inner *training* rows and
their timestamps (the inner validation rows' timestamps are never read; the reported validation
rows are read only by the `reported` group, which measures and chooses nothing). The groups:

  pop       time features proper. `timepop`: log P(i | the user's times), the user's training
            timestamps as a distribution over time bins of `days` (optionally smoothed by a Gaussian
            of `sigma` bins) times P(i | bin), each bin's item frequencies shrunk towards global
            popularity. `alive`: log of the fraction of the item's training ratings made before the
            user's last training timestamp (+ a floor): items first rated after the user stopped.
  session, session2
            item-item from temporal adjacency: items that the same user rated within `window`
            positions (or seconds) of each other in their time-ordered training rows, weighted
            exp(-gap / tau), normalised by (n_j n_k)^beta; scores X_u C (dense items x items here).
  lowrank   that C replaced by its top-|eigenvalue| rank-64/128/256 approximation (which would fit
            cf's dot-product models).
  pseudo    iALS on the users plus one pseudo-user per session (chunks of a user's time-ordered rows).
  blend     the recipe's blend (numpy iALS twin + topn_softmax.py's PyTorch softmax twin, 1 : 1 after
            dividing each by its std) with the session item-item added.
  reported  the chosen session settings added to the twins on the reported folds (measures only).
  lam, lam-reported
            alpha0 / lambda of the iALS twin on the inner split; lambda 0.02 on the reported folds.

Each candidate is blended as z(base) + gamma * z(feature), gamma on a grid; the base is the numpy
twin of the recipe's iALS (`ials` below, as in topn_explore.py, 128 factors). The rows are in the
trainer README's top-N selection tables. Scratch copies of the base scores go to $SCRATCH
(default /tmp/s7-topn).

One thread, float64. Usage:
  CF_DATA_DIR=../shared/datasets /usr/bin/python3 bench/numpy/topn_time.py [ml-latest-small|ml-100k] [group ...]
"""
import os
import sys
import time

for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import topn_anchors as ta  # noqa: E402

DATA = os.environ.get('CF_DATA_DIR')
if not DATA:
    raise SystemExit('set CF_DATA_DIR to the folder that contains ml-latest-small/')
DATASET = sys.argv[1] if len(sys.argv) > 1 else 'ml-latest-small'
SCRATCH = os.environ.get('SCRATCH', '/tmp/s7-topn')
os.makedirs(SCRATCH, exist_ok=True)

if DATASET == 'ml-latest-small':
    user, item, rating, folds = ta.load_ml_latest_small(DATA)
    stamp = pd.read_csv(os.path.join(DATA, 'ml-latest-small', 'ratings.csv'))['timestamp'].to_numpy(np.int64)
else:
    user, item, rating, folds = ta.load_ml_100k(DATA)
    stamp = pd.read_csv(os.path.join(DATA, 'ml-100k', 'u.data'), sep='\t', header=None)[3].to_numpy(np.int64)
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


def ials(conf, f=128, sweeps=8, a0=0.1, lam=0.01, nu=1.0, seed=42, rows=None, data=None):
    """The numpy twin of fitImplicitAls (Cholesky row solves), as in topn_explore.py; `data`
    (user index per row, item index per row, number of users) replaces the data set's."""
    rows = TRAIN if rows is None else rows
    users, items, n_users = data if data is not None else (user, item, N_USERS)
    u, i = users[rows], items[rows]
    c = conf(rows).astype(np.float64)
    t = np.ones_like(c)
    rng = np.random.RandomState(seed)
    p = rng.normal(0, 0.1 / np.sqrt(f), (n_users, f))
    q = rng.normal(0, 0.1 / np.sqrt(f), (N_ITEMS, f))
    by_user, by_item = grouped(u, i, [c, t], n_users), grouped(i, u, [c, t], N_ITEMS)

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
        p = half(by_user, q, n_users)
        q = half(by_item, p, N_ITEMS)
    return p @ q.T


def conf_default(rows):
    return np.where(rating[rows] >= 4, 1.0, 0.1)


def z(s):
    return (s - s.mean()) / s.std()


def cached(name, fn):
    path = os.path.join(SCRATCH, '%s-%s.npy' % (DATASET, name))
    if os.path.exists(path):
        return np.load(path)
    value = fn()
    np.save(path, value)
    return value


def time_pop(days, sigma, prior=1.0, rows=None, weights=None):
    """log P(i | the user's training times), bins of `days`, Gaussian smoothing of `sigma` bins."""
    rows = TRAIN if rows is None else rows
    w = np.ones(len(rows)) if weights is None else weights
    t0 = stamp[rows].min()
    b = ((stamp[rows] - t0) // int(days * 86400)).astype(np.int64)
    n_bins = int(b.max()) + 1
    ub = np.zeros((N_USERS, n_bins))
    np.add.at(ub, (user[rows], b), 1.0)
    ib = np.zeros((N_ITEMS, n_bins))
    np.add.at(ib, (item[rows], b), w)
    if sigma > 0:
        radius = int(np.ceil(3 * sigma))
        kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        ib = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode='same'), 1, ib)
        ub = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode='same'), 1, ub)
    pop = ib.sum(1)
    pop = pop / pop.sum()
    # P(i | bin) shrunk towards popularity with `prior` pseudo-rows per item-count unit
    col = ib.sum(0)
    p_ib = (ib + prior * pop[:, None] * 100) / (col + prior * 100)[None, :]
    pu = ub / np.maximum(ub.sum(1, keepdims=True), 1e-12)
    return np.log(pu @ p_ib.T + 1e-12)


def alive(floor=0.01):
    u, i, t = user[TRAIN], item[TRAIN], stamp[TRAIN]
    last = np.full(N_USERS, -1, np.int64)
    np.maximum.at(last, u, t)
    out = np.zeros((N_USERS, N_ITEMS))
    order = np.argsort(i, kind='stable')
    offsets = np.concatenate([[0], np.cumsum(np.bincount(i, minlength=N_ITEMS))])
    ts = t[order]
    for x in range(N_ITEMS):
        s = np.sort(ts[offsets[x]:offsets[x + 1]])
        if len(s) == 0:
            out[:, x] = np.log(floor)
            continue
        frac = np.searchsorted(s, last, side='right') / len(s)
        out[:, x] = np.log(frac + floor)
    return out


def group_pop(zb):
    for days, sigma in [(1, 0), (1, 3), (7, 0), (7, 1), (30, 0), (30, 1), (91, 0), (365, 0)]:
        tp = time_pop(days, sigma)
        report('timepop days %g sigma %g alone' % (days, sigma), tp)
        for g in [0.1, 0.2, 0.3, 0.5]:
            report('  iALS + %g timepop' % g, zb + g * z(tp))
    al = alive()
    report('alive alone', al)
    for g in [0.05, 0.1, 0.2, 0.5]:
        report('  iALS + %g alive' % g, zb + g * z(al))


def session_cooc(window, tau, beta=0.5, by='position', rows=None, order_key=None):
    """Scores X_u C of the temporal-adjacency item-item (see `session_matrix`)."""
    x, c = session_matrix(window, tau, beta, by, rows, order_key)
    return x @ c


def group_session(zb):
    for window, tau in [(5, 2), (20, 5), (50, 20), (200, 100)]:
        for beta in [0.5]:
            s = session_cooc(window, tau, beta)
            report('session cooc window %d tau %g beta %g alone' % (window, tau, beta), s)
            for g in [0.1, 0.25, 0.5, 1]:
                report('  iALS + %g session' % g, zb + g * z(s))



def low_rank(s_items, rank):
    """Symmetric C ~ V diag(e) V^T from its top-|eigenvalue| eigenpairs."""
    e, v = np.linalg.eigh(s_items)
    top = np.argsort(-np.abs(e))[:rank]
    return v[:, top], e[top]


def session_matrix(window, tau, beta=0.5, by='position', rows=None, order_key=None):
    """Items that the same user rated within `window` positions of each other in their
    time-ordered training rows (ties in file order), weighted exp(-gap / tau) with the gap in
    positions or (by='seconds') seconds; C symmetric, normalised by (n_j n_k)^beta, zero diagonal.
    Returns (X binary users x items, C)."""
    rows = TRAIN if rows is None else rows
    x = np.zeros((N_USERS, N_ITEMS))
    x[user[rows], item[rows]] = 1
    key = stamp[rows] if order_key is None else order_key(rows)
    order = np.lexsort((key, user[rows]))
    r = rows[order]
    u, i, t = user[r], item[r], stamp[r]
    c = np.zeros((N_ITEMS, N_ITEMS))
    for d in range(1, window + 1):
        same = u[d:] == u[:-d]
        gap = np.full(same.sum(), float(d)) if by == 'position' else (t[d:] - t[:-d])[same].astype(np.float64)
        np.add.at(c, (i[:-d][same], i[d:][same]), np.exp(-gap / tau))
    c = c + c.T
    n = np.bincount(i, minlength=N_ITEMS).astype(np.float64) + 1
    c = c / (n[:, None] * n[None, :]) ** beta
    np.fill_diagonal(c, 0)
    return x, c


def group_session2(zb):
    u, t = user[TRAIN], stamp[TRAIN]
    order = np.lexsort((t, u))
    tied = (u[order][1:] == u[order][:-1]) & (t[order][1:] == t[order][:-1])
    print('adjacent training rows with equal timestamps: %.3f' % tied.mean())
    for window, tau, beta in [(1, 1, 0.5), (2, 1, 0.5), (3, 1, 0.5), (5, 1, 0.5), (5, 5, 0.5), (10, 2, 0.5),
                              (5, 2, 0.3), (5, 2, 0.7)]:
        s = session_cooc(window, tau, beta)
        report('session window %d tau %g beta %g alone' % (window, tau, beta), s)
        for g in [0.25, 0.5, 0.75]:
            report('  iALS + %g session' % g, zb + g * z(s))
    for window, tau in [(5, 600), (10, 3600), (20, 86400)]:
        s = session_cooc(window, tau, 0.5, by='seconds')
        report('session by seconds window %d tau %gs alone' % (window, tau), s)
        for g in [0.25, 0.5, 0.75]:
            report('  iALS + %g session' % g, zb + g * z(s))


def group_lowrank(zb):
    x, c = session_matrix(5, 2, 0.5)
    for rank in [64, 128, 256]:
        v, e = low_rank(c, rank)
        s = (x @ v) * e @ v.T
        report('session rank %d alone' % rank, s)
        for g in [0.25, 0.5, 0.75]:
            report('  iALS + %g session rank %d' % (g, rank), zb + g * z(s))


def session_pseudo_users(size, gap=None, rows=None):
    """Each user's time-ordered training rows cut into sessions (consecutive chunks of `size` rows,
    or a new session after a `gap`-second pause); returns (session index per row, n_sessions)."""
    rows = TRAIN if rows is None else rows
    order = np.lexsort((stamp[rows], user[rows]))
    r = rows[order]
    u, t = user[r], stamp[r]
    new_user = np.r_[True, u[1:] != u[:-1]]
    if gap is None:
        start = np.flatnonzero(new_user)
        pos = np.arange(len(r)) - np.repeat(start, np.diff(np.r_[start, len(r)]))
        new = new_user | (pos % size == 0)
    else:
        new = new_user | np.r_[True, (t[1:] - t[:-1]) > gap]
    sid = np.cumsum(new) - 1
    return r, sid, int(sid[-1]) + 1


def ials_with_sessions(size, gap=None, session_weight=1.0, f=128, sweeps=8, a0=0.1, lam=0.01, seed=42):
    """iALS on the users plus one pseudo-user per session (its items, the same confidences times
    `session_weight`); the real users' rows score."""
    r, sid, n_s = session_pseudo_users(size, gap)
    n = len(user)
    ext_user = np.r_[user, N_USERS + sid]
    ext_item = np.r_[item, item[r]]
    ext_rows = np.r_[TRAIN, n + np.arange(len(r))]
    conf = np.r_[np.where(rating >= 4, 1.0, 0.1), np.where(rating[r] >= 4, 1.0, 0.1) * session_weight]
    s = ials(lambda rr: conf[rr], f=f, sweeps=sweeps, a0=a0, lam=lam, seed=seed, rows=ext_rows,
             data=(ext_user, ext_item, N_USERS + n_s))
    print('  (%d sessions)' % n_s)
    return s[:N_USERS]


def group_pseudo(zb):
    for size, gap, w in [(10, None, 1.0), (5, None, 1.0), (20, None, 1.0), (None, 3600, 1.0), (10, None, 0.5)]:
        s = ials_with_sessions(size, gap, w)
        report('iALS + session pseudo-users size %s gap %s weight %g' % (size, gap, w), s)
        report('  + 1 iALS', z(s) + zb)



def group_blend(zb):
    """The recipe's blend (iALS + the softmax two-tower, 1 : 1 after dividing by the std) with the
    session item-item on top; the softmax member is topn_softmax.py's PyTorch twin (seed 42)."""
    def softmax():
        argv = sys.argv
        sys.argv = argv[:1]
        import topn_softmax as ts
        sys.argv = argv
        return ts.softmax_mf(user_lr=0.3, batch=16)
    sm = cached('softmax', softmax)
    report('softmax twin alone', sm)
    blend = zb + z(sm)
    report('iALS + softmax (the recipe, numpy twins)', blend)
    zblend = z(blend)
    for window, tau in [(3, 1), (5, 1), (5, 2), (10, 2)]:
        s = z(session_cooc(window, tau, 0.5))
        for g in [0.15, 0.25, 0.35, 0.5]:
            report('  blend + %g session window %d tau %g' % (g, window, tau), zblend + g * s)



def group_reported(_zb):
    """What the session item-item would give on the reported folds if built (its settings chosen on
    the inner split above: window 5, tau 1, beta 0.5, weight 0.25 after z-scaling; not retuned on
    ml-100k). Measures, chooses nothing: the twins of iALS and of the softmax member fitted on each
    fold's training rows, scored on its validation rows (FOLDS=0,1,... picks folds)."""
    global TRAIN, VALID
    folds_wanted = [int(f) for f in os.environ.get('FOLDS', '0,1,2,3,4').split(',')]
    argv = sys.argv
    sys.argv = argv[:1]
    import topn_softmax as ts
    import topn_explore as te
    sys.argv = argv
    # the softmax twin reads its data from topn_explore's globals: point them at this data set
    te.user, te.item, te.rating, te.N_USERS, te.N_ITEMS = user, item, rating, N_USERS, N_ITEMS
    for f in folds_wanted:
        name, TRAIN, VALID = folds[f][0], folds[f][1], folds[f][2]
        base = z(ials(conf_default))
        s = z(session_cooc(5, 1, 0.5))
        report('%s %s iALS twin' % (DATASET, name), base)
        report('%s %s iALS twin + 0.25 session' % (DATASET, name), base + 0.25 * s)
        te.TRAIN = TRAIN
        blend = z(base + z(ts.softmax_mf(user_lr=0.3, batch=16)))
        report('%s %s blend twin (iALS + softmax)' % (DATASET, name), blend)
        report('%s %s blend twin + 0.25 session' % (DATASET, name), blend + 0.25 * s)


def group_control(zb):
    """Is it the time order? The same item-item with each user's rows in a random order (no time),
    with ties of equal timestamps broken at random instead of in file order, and with the window
    as wide as the user's whole history (plain co-occurrence)."""
    rng = np.random.RandomState(7)
    noise = rng.rand(len(user))
    variants = [('time order, ties in file order', None, 5),
                ('time order, ties at random', lambda rows: stamp[rows] + 0.5 * noise[rows], 5),
                ('random order', lambda rows: noise[rows], 5)]
    for name, key, window in variants:
        s = session_cooc(window, 1, 0.5, order_key=key)
        report('%s alone' % name, s)
        for g in [0.25, 0.5]:
            report('  iALS + %g it' % g, zb + g * z(s))
    x = np.zeros((N_USERS, N_ITEMS))
    x[user[TRAIN], item[TRAIN]] = 1
    c = x.T @ x
    n = np.bincount(item[TRAIN], minlength=N_ITEMS).astype(np.float64) + 1
    c = c / np.sqrt(n[:, None] * n[None, :])
    np.fill_diagonal(c, 0)
    s = x @ c
    report('every pair of the user (no order) alone', s)
    for g in [0.25, 0.5]:
        report('  iALS + %g it' % g, zb + g * z(s))


def group_lam(_zb):
    """alpha0 / lambda of the iALS twin on this data set's inner split (the trainer README's
    "lambda on ml-100k" table; run with ml-100k and with ml-latest-small)."""
    grid = [(0.1, 0.005), (0.1, 0.01), (0.1, 0.015), (0.1, 0.02), (0.1, 0.03), (0.1, 0.04), (0.05, 0.01),
            (0.2, 0.01), (0.3, 0.01), (0.15, 0.02), (0.2, 0.02)]
    for a0, lam in grid:
        report('iALS 128 alpha0 %g lambda %g' % (a0, lam), ials(conf_default, a0=a0, lam=lam))


def group_lam_reported(_zb):
    """lambda 0.02 (ml-100k's inner choice) on the reported folds: iALS twin, + softmax twin, +
    0.35 session (measures only)."""
    global TRAIN, VALID
    argv = sys.argv
    sys.argv = argv[:1]
    import topn_softmax as ts
    import topn_explore as te
    sys.argv = argv
    te.user, te.item, te.rating, te.N_USERS, te.N_ITEMS = user, item, rating, N_USERS, N_ITEMS
    for f in range(len(folds)):
        name, TRAIN, VALID = folds[f]
        te.TRAIN = TRAIN
        base = z(ials(conf_default, lam=0.02))
        blend = z(base + z(ts.softmax_mf(user_lr=0.3, batch=16)))
        report('%s %s lambda 0.02 iALS twin' % (DATASET, name), base)
        report('%s %s lambda 0.02 blend twin' % (DATASET, name), blend)
        report('%s %s lambda 0.02 blend twin + 0.35 session' % (DATASET, name), blend + 0.35 * z(session_cooc(5, 1, 0.5)))


GROUPS = {'pop': group_pop, 'session': group_session, 'session2': group_session2, 'lowrank': group_lowrank,
          'pseudo': group_pseudo, 'blend': group_blend, 'control': group_control, 'reported': group_reported,
          'lam': group_lam, 'lam-reported': group_lam_reported}

if __name__ == '__main__':
    started = time.perf_counter()
    base = cached('ials128', lambda: ials(conf_default))
    report('iALS 128 (numpy twin)', base)
    for name in sys.argv[2:] or ['pop', 'session2']:
        print('## %s' % name, flush=True)
        GROUPS[name](z(base))
    print('%.0f s' % (time.perf_counter() - started))
