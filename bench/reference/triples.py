"""The triple reader of the PyTorch reference scripts (transe_torch.py, rotate_torch.py, kbc_1vsall.py).

read_triples(path, columns): a tab-separated triple file (gzip when it ends in .gz) whose three
columns are in `columns` order ('hrt', 'htr', ...), as a LongTensor [n, 3] of (h, r, t) ids in
first-seen order, with the numbers of entities and relations. Short lines are skipped.
"""
import gzip

import torch


def read_triples(path, columns='hrt'):
    opener = gzip.open if path.endswith('.gz') else open
    ih, ir, it = columns.index('h'), columns.index('r'), columns.index('t')
    ents, rels, rows = {}, {}, []
    with opener(path, 'rt', encoding='utf-8') as f:
        for line in f:
            parts = line.rstrip('\r\n').split('\t')
            if len(parts) < 3:
                continue
            h, r, t = parts[ih], parts[ir], parts[it]
            rows.append((ents.setdefault(h, len(ents)), rels.setdefault(r, len(rels)), ents.setdefault(t, len(ents))))
    return torch.tensor(rows, dtype=torch.long), len(ents), len(rels)
