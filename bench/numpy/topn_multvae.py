#!/usr/bin/env python3
"""Mult-VAE (Liang et al. 2018) on the `topn` inner split, alone and blended with iALS (issue #13).

A PyTorch prototype to decide whether a Mult-VAE member is worth building in cf: trained on
@cf/data's `innerSplit` of ml-latest-small cvIdx 0's training rows (input: 1 for a rating >= 4,
0.3 below, L2-normalised, dropout 0.5), [items -> hidden -> latent -> hidden -> items] with tanh,
multinomial likelihood, KL weight annealed to 0.2 over 80 % of the steps, Adam 1e-3, batch 100; scored
on the inner validation rows with `topn_anchors.ranking_metrics`, alone and as
z(iALS 128 factors) + w * z(Mult-VAE), where iALS is topn_explore.py's numpy twin of the recipe.
The reported validation rows are never read. One thread; several minutes per configuration.
Usage: CF_DATA_DIR=../shared/datasets /usr/bin/python3 bench/numpy/topn_multvae.py
"""
import sys
import time

sys.argv = sys.argv[:1]  # topn_explore reads no arguments when imported
import numpy as np  # noqa: E402
import torch  # noqa: E402

import topn_anchors as ta  # noqa: E402
import topn_explore as te  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)


def mult_vae(x, hidden=600, latent=200, epochs=200, beta_max=0.2, dropout=0.5, lr=1e-3):
    n, m = x.shape
    xt = torch.tensor(x, dtype=torch.float32)
    encoder, to_latent = torch.nn.Linear(m, hidden), torch.nn.Linear(hidden, 2 * latent)
    decoder1, decoder2 = torch.nn.Linear(latent, hidden), torch.nn.Linear(hidden, m)
    modules = [encoder, to_latent, decoder1, decoder2]
    opt = torch.optim.Adam([p for mod in modules for p in mod.parameters()], lr=lr)
    total = epochs * ((n + 99) // 100)

    def forward(batch, train):
        h = torch.nn.functional.dropout(torch.nn.functional.normalize(batch, dim=1), dropout, train)
        out = to_latent(torch.tanh(encoder(h)))
        mu, logvar = out[:, :latent], out[:, latent:]
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if train else mu
        return decoder2(torch.tanh(decoder1(z))), mu, logvar

    step = 0
    for _ in range(epochs):
        perm = torch.randperm(n)
        for b in range(0, n, 100):
            batch = xt[perm[b:b + 100]]
            logits, mu, logvar = forward(batch, True)
            nll = -(torch.log_softmax(logits, 1) * batch).sum(1).mean()
            kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)).mean()
            beta = min(beta_max, beta_max * step / (0.8 * total))
            step += 1
            opt.zero_grad()
            (nll + beta * kl).backward()
            opt.step()
    with torch.no_grad():
        return forward(xt, False)[0].numpy().astype(np.float64)


if __name__ == '__main__':
    x = ta.matrix(te.user, te.item, np.where(te.rating[te.TRAIN] >= 4, 1, 0.3), te.TRAIN,
                  te.N_USERS, te.N_ITEMS)
    ials = te.ials(te.conf_default, te.ones, f=128)
    te.report('iALS 128 factors', ials)
    for options in [{}, {'epochs': 400}, {'hidden': 300, 'latent': 100}]:
        started = time.perf_counter()
        vae = mult_vae(x, **options)
        te.report('Mult-VAE %s (%.0f s)' % (options, time.perf_counter() - started), vae)
        for w in [0.25, 0.5, 1.0]:
            te.report('  iALS 128 + %g Mult-VAE (z-scaled)' % w, te.z(ials) + w * te.z(vae))
