#!/usr/bin/env python3
"""Softmax two-tower retrieval (issue #13) on the `topn` inner split: a PyTorch prototype of
@cf/trainer's `fitSoftmaxRetrieval`, used to search its hyper-parameters before cf's trainer confirmed
them (bench/src/topn-softmax.ts; the trainer README's "The neural model" tables).

Model: score(u, i) = p_u . q_i + b_i. Loss: each training row (u, i) is a positive with weight
w(rating) (1 for a rating >= 4, `low` below), cross-entropy of the softmax over the whole catalogue
(full softmax): per user -sum_i w_ui log softmax(s_u / tau)_i, divided by the step's total weight,
plus l2 * (||p_u||^2 + ||q||^2) over the step's users and all items, divided by the step's users.
Adam with a step count per row (a user's row is stepped once per epoch, at `user_lr`), cosine
annealing, batches of users: the TypeScript trainer's algorithm without its thinned backward pass.
Trained on @cf/data's `innerSplit` of ml-latest-small cvIdx 0's training rows, scored on the inner
validation rows with `topn_anchors.ranking_metrics`. The reported validation rows are never read.
Usage: CF_DATA_DIR=../shared/datasets /usr/bin/python3 bench/numpy/topn_softmax.py "[{'user_lr': 0.3, 'batch': 16}, ...]"
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
grid_name = sys.argv[1] if len(sys.argv) > 1 else 'base'
sys.argv = sys.argv[:1]
import numpy as np  # noqa: E402
import torch  # noqa: E402

import topn_anchors as ta  # noqa: E402
import topn_explore as te  # noqa: E402

torch.set_num_threads(1)


def softmax_mf(d=64, epochs=20, lr=0.01, user_lr=None, l2=1e-2, low=0.1, tau=1.0, batch=64,
               seed=42, init=0.1, anneal=True):
    """The TypeScript trainer's algorithm: full softmax, Adam with a step count per row (a user's
    row is stepped once per epoch, the item rows every step), L2 on the step's rows / users."""
    torch.manual_seed(seed)
    user_lr = user_lr or lr
    x = ta.matrix(te.user, te.item, np.where(te.rating[te.TRAIN] >= 4, 1, low), te.TRAIN,
                  te.N_USERS, te.N_ITEMS)
    xt = torch.tensor(x, dtype=torch.float64)
    active = torch.nonzero(xt.sum(1) > 0).flatten()
    n, m = xt.shape
    p = torch.randn(n, d, dtype=torch.float64) * init / np.sqrt(d)
    q = torch.randn(m, d, dtype=torch.float64) * init / np.sqrt(d)
    b = torch.zeros(m, dtype=torch.float64)
    state = {k: [torch.zeros_like(t), torch.zeros_like(t)] for k, t in (('p', p), ('q', q), ('b', b))}
    steps_p = torch.zeros(n, dtype=torch.float64)
    step_q = 0
    per_epoch = (len(active) + batch - 1) // batch
    total = epochs * per_epoch
    k = 0

    def adam(name, t, g, rows, lr_, steps):
        mm, vv = state[name]
        mm[rows] = 0.9 * mm[rows] + 0.1 * g
        vv[rows] = 0.999 * vv[rows] + 0.001 * g * g
        c1 = (1 - 0.9 ** steps)
        c2 = (1 - 0.999 ** steps)
        if torch.is_tensor(c1):
            c1, c2 = c1[:, None], c2[:, None]
        t[rows] -= lr_ / c1 * mm[rows] / (torch.sqrt(vv[rows] / c2) + 1e-8)

    for _ in range(epochs):
        perm = active[torch.randperm(len(active))]
        for s in range(0, len(active), batch):
            users = perm[s:s + batch]
            xb = xt[users]
            pu = p[users]
            logits = (pu @ q.T + b) / tau
            prob = torch.softmax(logits, 1)
            w = xb.sum(1, keepdim=True)
            g = (w * prob - xb) / xb.sum() / tau
            gp = g @ q + 2 * l2 / len(users) * pu
            gq = g.T @ pu + 2 * l2 / len(users) * q
            gb = g.sum(0)
            a = (1 + np.cos(np.pi * k / total)) / 2 if anneal else 1
            k += 1
            steps_p[users] += 1
            step_q += 1
            adam('p', p, gp, users, user_lr * a, steps_p[users])
            adam('q', q, gq, slice(None), lr * a, step_q)
            mb, vb = state['b']
            mb.mul_(0.9).add_(0.1 * gb)
            vb.mul_(0.999).add_(0.001 * gb * gb)
            b -= lr * a / (1 - 0.9 ** step_q) * mb / (torch.sqrt(vb / (1 - 0.999 ** step_q)) + 1e-8)
    return (p @ q.T + b).numpy()


def run(name, **kw):
    t = time.perf_counter()
    s = softmax_mf(**kw)
    return te.report('%s %s (%.0f s)' % (name, kw, time.perf_counter() - t), s), s


if __name__ == '__main__':
    grid = [{'user_lr': 0.3, 'batch': 16}] if grid_name == 'base' else eval(grid_name)
    for kw in grid:
        run('softmax', **kw)
