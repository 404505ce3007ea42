#!/usr/bin/env python3
"""datasketch peer: MinHash + MinHashLSH (in-memory), union-find over query results.

Band parameters come from MinHashLSH's own optimal-parameter search for
threshold 0.8 / 128 permutations (b=9, r=13).
"""
from __future__ import annotations

from itertools import islice

from datasketch import MinHash, MinHashLSH

from common import NUM_PERM, SEED, THRESHOLD, UnionFind, base_args, read_docs, report, shingles, write_clusters

BATCH = 1000


def main() -> None:
    args = base_args(__doc__).parse_args()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    report(tool="datasketch", num_perm=NUM_PERM, threshold=THRESHOLD, bands=lsh.b, rows=lsh.r)
    ids: list[str] = []
    uf = UnionFind()
    docs = read_docs(args.data)
    while batch := list(islice(docs, BATCH)):
        sets = [[s.encode("utf-8") for s in shingles(text)] for _, text in batch]
        for (doc_id, _), mh in zip(batch, MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED)):
            key = uf.add()
            ids.append(doc_id)
            # query before insert: each pair is seen once, from its later member
            for other in lsh.query(mh):
                uf.union(key, other)
            lsh.insert(key, mh, check_duplication=False)
    write_clusters(args.out, ids, uf)


if __name__ == "__main__":
    main()
