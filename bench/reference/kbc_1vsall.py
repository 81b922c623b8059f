#!/usr/bin/env python3
"""PyTorch reference of mmkge's 1-vs-all recipe (Lacroix et al. 2018, the kbc code's recipe,
written here from the paper, not copied): reciprocal relations, softmax cross-entropy against
all entities, N3 on the factors of each query (weight / B, complex moduli for ComplEx),
Adagrad lr 0.1, init N(0, 1e-3), batch 1000. Times whole epochs and prints one JSON line.

  /usr/bin/python3 bench/reference/kbc_1vsall.py --train FILE [--order hrt|htr] [--model complex|distmult]
      [--dim 200] [--epochs 1] [--threads N]

Used by `npm run bench` (part 1vsall) side by side with mmkge, same machine, same run.
"""
import argparse, json, os, time
import torch

from triples import read_triples


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--train', required=True)
    p.add_argument('--order', default='hrt')
    p.add_argument('--model', default='complex')
    p.add_argument('--dim', type=int, default=200)
    p.add_argument('--batch', type=int, default=1000)
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--reg', type=float, default=5e-3)
    p.add_argument('--lr', type=float, default=0.1)
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--entities', type=int, default=0, help='entity count (the dataset list; 0 = those seen in train)')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    triples, n_seen, nr = read_triples(a.train, a.order)
    n = max(a.entities, n_seen)
    # Reciprocal relations: (t, r + R, h) for every (h, r, t); every query is a tail query.
    queries = torch.cat([triples, torch.stack([triples[:, 2], triples[:, 1] + nr, triples[:, 0]], 1)])
    width = 2 * a.dim if a.model == 'complex' else a.dim
    E = torch.nn.Embedding(n, width)
    R = torch.nn.Embedding(2 * nr, width)
    for emb in (E, R):
        emb.weight.data.normal_(0, 1e-3)
    opt = torch.optim.Adagrad(list(E.parameters()) + list(R.parameters()), lr=a.lr)
    d = a.dim

    def factors_and_query(h, r):
        if a.model == 'complex':
            hr, hi = h[:, :d], h[:, d:]
            rr, ri = r[:, :d], r[:, d:]
            q = torch.cat([hr * rr - hi * ri, hr * ri + hi * rr], 1)
            return q, [torch.sqrt(hr ** 2 + hi ** 2), torch.sqrt(rr ** 2 + ri ** 2)]
        return h * r, [h.abs(), r.abs()]

    epoch_seconds = []
    for _ in range(a.epochs):
        order = queries[torch.randperm(queries.shape[0])]
        t0 = time.perf_counter()
        total = 0.0
        for s in range(0, order.shape[0], a.batch):
            b = order[s:s + a.batch]
            h, r, t = E(b[:, 0]), R(b[:, 1]), E(b[:, 2])
            q, facs = factors_and_query(h, r)
            scores = q @ E.weight.t()
            if a.model == 'complex':
                facs.append(torch.sqrt(t[:, :d] ** 2 + t[:, d:] ** 2))
            else:
                facs.append(t.abs())
            n3 = sum((f ** 3).sum() for f in facs) / b.shape[0]
            loss = torch.nn.functional.cross_entropy(scores, b[:, 2]) + a.reg * n3
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        epoch_seconds.append(time.perf_counter() - t0)
    print(json.dumps({'engine': f'pytorch {torch.__version__} ({a.threads} threads)', 'model': a.model, 'dim': a.dim,
                      'queries': int(queries.shape[0]), 'entities': n, 'epochSeconds': epoch_seconds, 'lastLoss': total}))


if __name__ == '__main__':
    main()
