#!/usr/bin/env python3
"""PyTorch CPU reference for `mmkge train`'s RotatE throughput (our own script, for the README's ratio).

The same algorithm as `mmkge train --model rotate` with its preset: RotatE (Sun et al. 2019),
score = -sum_k |h_k e^{i theta_k} - t_k| (complex modulus with +1e-9 under the square root), entity
rows [re | im] and relation phases as sparse nn.Embedding, k negatives per positive, each corrupting
the head or the tail (probability 1/2) with a uniform entity other than the original, the
self-adversarial negative-sampling loss (Sun et al. Eq. 5, margin gamma, temperature alpha, the
negative weights detached), sparse Adagrad. The triples are shuffled every epoch. Like ours, every
negative is its own (h, r, t) row gather, not the official code's head-/tail-batch broadcast.
`--dense` trains dense tables with dense Adagrad instead: rows a batch does not touch get a zero
gradient and so no update, the same steps as sparse Adagrad; only the speed differs.

    /usr/bin/python3 bench/reference/rotate_torch.py TRAIN_FILE[.gz] [--threads 1] [--epochs 2] [--dim 200]
        [--batch 512] [--negatives 64] [--lr 0.05] [--margin 6] [--alpha 0.5] [--columns hrt|htr] [--dense]

Prints one JSON line: {"threads": .., "epochs": [triples/s per epoch], "triplesPerSecond": all epochs}.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

from triples import read_triples


def distance(ent, rel, h, r, t, d):
    eh, et, th = ent(h), ent(t), rel(r)
    hr, hi = eh[..., :d], eh[..., d:]
    c, s = torch.cos(th), torch.sin(th)
    ur = hr * c - hi * s - et[..., :d]
    ui = hr * s + hi * c - et[..., d:]
    return torch.sqrt(ur * ur + ui * ui + 1e-9).sum(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('train')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--epochs', type=int, default=2)
    ap.add_argument('--dim', type=int, default=200)
    ap.add_argument('--batch', type=int, default=512)
    ap.add_argument('--negatives', type=int, default=64)
    ap.add_argument('--lr', type=float, default=0.05)
    ap.add_argument('--margin', type=float, default=6.0)
    ap.add_argument('--alpha', type=float, default=0.5)
    ap.add_argument('--columns', default='hrt')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--dense', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    triples, n_e, n_r = read_triples(a.train, a.columns)
    d, k = a.dim, a.negatives
    bound = (a.margin + 2) / d
    ent = torch.nn.Embedding(n_e, 2 * d, sparse=not a.dense)
    rel = torch.nn.Embedding(n_r, d, sparse=not a.dense)
    with torch.no_grad():
        ent.weight.uniform_(-bound, bound)
        rel.weight.uniform_(-math.pi, math.pi)
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
            hk, rk, tk = h.repeat_interleave(k), r.repeat_interleave(k), t.repeat_interleave(k)
            u = torch.randint(0, n_e - 1, (b * k,))
            head = torch.rand(b * k) < 0.5
            nh = torch.where(head, u + (u >= hk).long(), hk)
            nt = torch.where(head, tk, u + (u >= tk).long())
            s_pos = -distance(ent, rel, h, r, t, d)
            s_neg = (-distance(ent, rel, nh, rk, nt, d)).view(b, k)
            weights = F.softmax(a.alpha * s_neg, dim=1).detach()
            loss = (-F.logsigmoid(a.margin + s_pos) - (weights * F.logsigmoid(-(a.margin + s_neg))).sum(1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        total_time += dt
        per_epoch.append(round(n / dt))
    print(json.dumps({'threads': a.threads, 'dense': a.dense, 'epochs': per_epoch, 'triplesPerSecond': round(a.epochs * n / total_time)}))


if __name__ == '__main__':
    main()
