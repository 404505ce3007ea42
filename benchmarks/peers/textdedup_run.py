#!/usr/bin/env python3
"""text-dedup peer (v0.4.x): its `text_dedup.minhash` script in local mode.

Runs the script's own click entry point in-process on the JSONL (loaded through
HF `datasets` "json" builder into a scratch cache), with 5-grams, 128 perms,
threshold 0.8; bands/rows come from text-dedup's own `optimal_param`
(b=9, r=13).  `--hash_func xxh3` is the faster hash its help recommends.
`--debug` makes it dump its union-find (keyed by our ids) next to its output.

`--export` (not timed) turns that union-find into clusters.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

from common import NGRAM, NUM_PERM, THRESHOLD, base_args, report


def run(data: Path, work: Path, workers: int) -> None:
    # keep HF caches inside the scratch folder and never touch the network
    os.environ.setdefault("HF_HOME", str(work / "hf"))
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    from text_dedup.minhash import main as minhash_main
    from text_dedup.utils import optimal_param

    b, r = optimal_param(THRESHOLD, NUM_PERM)
    report(tool="text-dedup", ngram=NGRAM, num_perm=NUM_PERM, threshold=THRESHOLD, bands=b, rows=r,
           hash_func="xxh3", num_proc=workers)
    argv = ["--path", "json", "--data_files", str(data), "--split", "train",
            "--cache_dir", str(work / "cache"), "--output", str(work / "output"),
            "--column", "text", "--idx_column", "id",
            "--ngram", str(NGRAM), "--num_perm", str(NUM_PERM), "--threshold", str(THRESHOLD),
            "--hash_func", "xxh3", "--num_proc", str(workers), "--debug"]
    minhash_main.main(args=argv, standalone_mode=False)


def export(work: Path, out: Path) -> None:
    with open(work / "output" / "uf.pkl", "rb") as f:
        uf = pickle.load(f)  # text_dedup.utils.UnionFind over our string ids
    with open(out, "w", encoding="utf-8") as fo:
        for doc_id in list(uf.parent):
            fo.write(json.dumps({"id": doc_id, "cluster": uf.find(doc_id)}) + "\n")


def main() -> None:
    ap = base_args(__doc__)
    ap.add_argument("--export", action="store_true", help="only convert outputs to clusters")
    args = ap.parse_args()
    if args.export:
        export(args.workdir, args.out)
        return
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    run(args.data, args.workdir, args.workers)


if __name__ == "__main__":
    main()
