#!/usr/bin/env python3
"""PyTorch CPU reference for `mmkge train`'s TransE throughput (our own script, used by `npm run bench`).

The same algorithm as `mmkge train --model transe --norm 1 --negatives 1 --sampler uniform --loss margin`:
TransE-L1 (Bordes et al. 2013), entity and relation tables as sparse nn.Embedding, uniform(-6/sqrt(d),
6/sqrt(d)) init with unit-L2 rows, one corrupted head or tail per positive (uniform side, uniform
entity other than the original), margin ranking loss mean(relu(m - s(pos) + s(neg))), sparse Adagrad,
touched entity rows renormalised to unit L2 norm after each step. The triples are shuffled every epoch.

    /usr/bin/python3 bench/reference/transe_torch.py TRAIN_FILE[.gz] [--threads 1] [--epochs 3] [--dim 200]
        [--batch 1024] [--lr 0.05] [--margin 1]

Prints one JSON line: {"threads": .., "epochs": [triples/s per epoch], "triplesPerSecond": all epochs}.
The train file holds tab-separated h, r, t keys (FB-IMG's column order is hrt).
"""
import argparse
import json
import math
import time

import torch

from triples import read_triples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('train')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--dim', type=int, default=200)
    ap.add_argument('--batch', type=int, default=1024)
    ap.add_argument('--lr', type=float, default=0.05)
    ap.add_argument('--margin', type=float, default=1.0)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    triples, n_e, n_r = read_triples(a.train)
    bound = 6 / math.sqrt(a.dim)
    ent = torch.nn.Embedding(n_e, a.dim, sparse=True)
    rel = torch.nn.Embedding(n_r, a.dim, sparse=True)
    with torch.no_grad():
        for emb in (ent, rel):
            emb.weight.uniform_(-bound, bound)
            emb.weight.div_(emb.weight.norm(dim=1, keepdim=True))
    opt = torch.optim.Adagrad(list(ent.parameters()) + list(rel.parameters()), lr=a.lr)
    n = triples.shape[0]
    per_epoch = []
    total_time = 0.0
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for s in range(0, n, a.batch):
            pos = triples[perm[s:s + a.batch]]
            b = pos.shape[0]
            h, r, t = pos[:, 0], pos[:, 1], pos[:, 2]
            # corrupt the head or the tail; u + (u >= e) is uniform over the other entities
            u = torch.randint(0, n_e - 1, (b,))
            head = torch.rand(b) < 0.5
            nh = torch.where(head, u + (u >= h).long(), h)
            nt = torch.where(head, t, u + (u >= t).long())
            rv = rel(r)
            s_pos = -(ent(h) + rv - ent(t)).abs().sum(-1)
            s_neg = -(ent(nh) + rv - ent(nt)).abs().sum(-1)
            loss = torch.relu(a.margin - s_pos + s_neg).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                rows = torch.unique(torch.cat([h, t, nh, nt]))
                w = ent.weight[rows]
                ent.weight[rows] = w / w.norm(dim=1, keepdim=True)
        dt = time.perf_counter() - t0
        total_time += dt
        per_epoch.append(n / dt)
    print(json.dumps({'threads': a.threads, 'epochs': per_epoch, 'triplesPerSecond': a.epochs * n / total_time}))


if __name__ == '__main__':
    main()
