#!/usr/bin/env python3
"""Seconds per training epoch of the cf recipes in PyTorch, for `pnpm bench` to compare against.

Same data and split as cf: ml-latest-small from $CF_DATA_DIR, ids in first-appearance order
(pandas.unique), fastai 0.7's get_cv_idxs(n, cv_idx=0, val_pct=0.2, seed=42) reproduced with numpy.
One thread (torch.set_num_threads(1)). A plain training loop (shuffle, index, forward, MSE,
backward, step): no DataLoader or fastai callbacks, so this is PyTorch at its leanest.

Models:
  notebook  the fastai 0.7 notebook's EmbeddingNet (50 factors, hidden 10, dropout 0.5/0.5),
            Adam(lr 1e-3, weight_decay 2e-5) (coupled L2, dense gradients).
  fastai    fastai v2's EmbeddingDotBias (50 factors, sigmoid_range(0, 5.5)), AdamW(betas (0.9, 0.99),
            eps 1e-5, weight_decay 0.1) with a one-cycle schedule (OneCycleLR, cos, max_lr 5e-3).

Usage: epoch_time.py [--cases notebook:64,notebook:1024,fastai:64] [--epochs N]
                     [--ratings FILE --max-steps S [--warmup-steps W] [--threads T]]
Prints one JSON object: {"torch": version, "threads": 1, "results": [{model, batch, seconds: [...]}]}.

At scale (`pnpm bench scale`): --ratings reads any ratings.csv with pandas instead of
ml-latest-small, and --max-steps times only the first S steps of one epoch (after W warm-up steps)
and extrapolates to the whole epoch: seconds = median step time * steps per epoch. Dense Adam
touches every row of the tables each step, so an epoch at small batches is hours at 25M rows; the
result then also holds "measured_steps", "step_seconds" and "steps_per_epoch".
Run it with MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824
MALLOC_TOP_PAD_=268435456 for the steady-state timing, without them for out-of-the-box.
"""
import argparse
import csv
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(data_dir):
    users, items, ratings = [], [], []
    with open(os.path.join(data_dir, 'ml-latest-small', 'ratings.csv'), newline='') as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            users.append(row[0])
            items.append(row[1])
            ratings.append(float(row[2]))

    def index(ids):
        seen = {}
        return np.array([seen.setdefault(i, len(seen)) for i in ids], dtype=np.int64), len(seen)

    u, n_users = index(users)
    i, n_items = index(items)
    return u, i, np.array(ratings, dtype=np.float32), n_users, n_items


def load_file(path):
    import pandas as pd
    frame = pd.read_csv(path, usecols=[0, 1, 2])
    u, users = pd.factorize(frame.iloc[:, 0])  # first-appearance order, as pandas.unique
    i, items = pd.factorize(frame.iloc[:, 1])
    return (u.astype(np.int64), i.astype(np.int64), frame.iloc[:, 2].to_numpy(np.float32),
            len(users), len(items))


def get_cv_idxs(n, cv_idx=0, val_pct=0.2, seed=42):
    np.random.seed(seed)
    n_val = int(val_pct * n)
    idx_start = cv_idx * n_val
    idxs = np.random.permutation(n)
    return idxs[idx_start:idx_start + n_val]


class EmbeddingNet(nn.Module):
    def __init__(self, n_users, n_items, min_rating, max_rating, n_factors=50, nh=10, p1=0.5, p2=0.5):
        super().__init__()
        self.u = nn.Embedding(n_users, n_factors)
        self.m = nn.Embedding(n_items, n_factors)
        self.u.weight.data.uniform_(0, 0.05)
        self.m.weight.data.uniform_(0, 0.05)
        self.lin1 = nn.Linear(n_factors * 2, nh)
        self.lin2 = nn.Linear(nh, 1)
        self.drop1 = nn.Dropout(p1)
        self.drop2 = nn.Dropout(p2)
        self.range = max_rating - min_rating + 1
        self.offset = min_rating - 0.5

    def forward(self, users, items):
        x = self.drop1(torch.cat([self.u(users), self.m(items)], dim=1))
        x = self.drop2(F.relu(self.lin1(x)))
        return (torch.sigmoid(self.lin2(x)) * self.range + self.offset).squeeze(1)


class EmbeddingDotBias(nn.Module):
    def __init__(self, n_users, n_items, n_factors=50, y_range=(0, 5.5)):
        super().__init__()
        self.u_weight = nn.Embedding(n_users, n_factors)
        self.i_weight = nn.Embedding(n_items, n_factors)
        self.u_bias = nn.Embedding(n_users, 1)
        self.i_bias = nn.Embedding(n_items, 1)
        for e in (self.u_weight, self.i_weight, self.u_bias, self.i_bias):
            with torch.no_grad():
                e.weight.normal_().fmod_(2).mul_(0.01)
        self.y_range = y_range

    def forward(self, users, items):
        dot = (self.u_weight(users) * self.i_weight(items)).sum(1)
        res = dot + self.u_bias(users).squeeze(1) + self.i_bias(items).squeeze(1)
        lo, hi = self.y_range
        return torch.sigmoid(res) * (hi - lo) + lo


def run(model_name, batch, epochs, data, max_steps=None, warmup_steps=0):
    u, i, r, n_users, n_items = data
    torch.manual_seed(42)
    valid = get_cv_idxs(len(r))
    mask = np.ones(len(r), dtype=bool)
    mask[valid] = False
    train = np.nonzero(mask)[0]
    tu, ti, tr = torch.from_numpy(u[train]), torch.from_numpy(i[train]), torch.from_numpy(r[train])
    n = len(train)
    if model_name == 'notebook':
        model = EmbeddingNet(n_users, n_items, float(r.min()), float(r.max()))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=2e-5)
        sched = None
    else:
        model = EmbeddingDotBias(n_users, n_items)
        opt = torch.optim.AdamW(model.parameters(), lr=5e-3, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.1)
        steps = epochs * ((n + batch - 1) // batch)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=5e-3, total_steps=steps, pct_start=0.25, anneal_strategy='cos',
            base_momentum=0.85, max_momentum=0.95, div_factor=25.0, final_div_factor=1e5)
    model.train()
    seconds = []
    rng = np.random.RandomState(42)
    if max_steps is not None:
        order = torch.from_numpy(rng.permutation(n))
        steps_per_epoch = (n + batch - 1) // batch
        times = []
        for k in range(min(steps_per_epoch, warmup_steps + max_steps)):
            start = time.perf_counter()
            idx = order[k * batch:(k + 1) * batch]
            pred = model(tu[idx], ti[idx])
            loss = F.mse_loss(pred, tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            if k >= warmup_steps:
                times.append(time.perf_counter() - start)
        step = float(np.median(times))
        return {'seconds': [step * steps_per_epoch], 'measured_steps': len(times),
                'step_seconds': step, 'steps_per_epoch': steps_per_epoch, 'train_rows': n}
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.from_numpy(rng.permutation(n))
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            pred = model(tu[idx], ti[idx])
            loss = F.mse_loss(pred, tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
        seconds.append(time.perf_counter() - start)
    return seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cases', default='notebook:64,notebook:1024,fastai:64')
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--ratings', help='a ratings.csv to read instead of ml-latest-small')
    parser.add_argument('--max-steps', type=int, help='time this many steps and extrapolate to one epoch')
    parser.add_argument('--warmup-steps', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.ratings:
        data = load_file(args.ratings)
    else:
        data_dir = os.environ.get('CF_DATA_DIR')
        if not data_dir:
            print('set CF_DATA_DIR to the folder that holds ml-latest-small/', file=sys.stderr)
            sys.exit(2)
        data = load(data_dir)
    results = []
    for case in args.cases.split(','):
        name, batch = case.split(':')
        if args.max_steps:
            result = run(name, int(batch), 1, data, args.max_steps, args.warmup_steps)
            secs = result['seconds']
            results.append({'model': name, 'batch': int(batch), **result})
        else:
            secs = run(name, int(batch), args.epochs, data)
            results.append({'model': name, 'batch': int(batch), 'seconds': secs})
        print(f'{name} bs {batch}: ' + ' '.join(f'{s:.3f}' for s in secs), file=sys.stderr)
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': results}))


if __name__ == '__main__':
    main()
