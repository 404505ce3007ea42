#!/usr/bin/env python3
"""rensa peer: RMinHash (full-set R-MinHash) + RMinHashLSH, union-find over candidates.

rensa has no optimal-parameter function, so the LSH uses b=16 bands x r=8 rows.
Sketches are built in batches with rensa's bulk API (Rust, may use several threads).
"""
from __future__ import annotations

from itertools import islice

from rensa import RMinHash, RMinHashLSH

from common import (DEFAULT_BANDS, DEFAULT_ROWS, NUM_PERM, SEED, THRESHOLD, UnionFind, base_args,
                    read_docs, report, shingles, write_clusters)

BATCH = 5000


def main() -> None:
    args = base_args(__doc__).parse_args()
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=DEFAULT_BANDS)
    report(tool="rensa", sketch="RMinHash", num_perm=NUM_PERM, threshold=THRESHOLD,
           bands=DEFAULT_BANDS, rows=DEFAULT_ROWS)
    ids: list[str] = []
    uf = UnionFind()
    docs = read_docs(args.data)
    while batch := list(islice(docs, BATCH)):
        start = len(ids)
        sketches = RMinHash.from_token_sets([list(shingles(t)) for _, t in batch],
                                            num_perm=NUM_PERM, seed=SEED)
        for doc_id, _ in batch:
            ids.append(doc_id)
            uf.add()
        # insert the batch first so that pairs inside the batch are found too
        lsh.insert_many(sketches, start_key=start)
        for offset, candidates in enumerate(lsh.query_all(sketches)):
            for other in candidates:
                uf.union(start + offset, other)
    write_clusters(args.out, ids, uf)


if __name__ == "__main__":
    main()
