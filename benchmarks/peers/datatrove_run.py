#!/usr/bin/env python3
"""datatrove peer: its 4-stage MinHash pipeline on LocalPipelineExecutor.

Stages: signatures -> buckets -> cluster -> filter.  datatrove has no
optimal-parameter function: we use 16 buckets x 8 hashes (=128 perms), 5-grams.

Two deviations from datatrove's defaults, both needed here:
- word tokenizer: its English tokenizer is NLTK's, which needs the punkt data
  downloaded from the network; we pass a whitespace tokenizer instead (datatrove
  lowercases and strips punctuation before tokenizing, so this gives word tokens);
- output compression off (gzip would only add CPU time unrelated to dedup).

datatrove shards work by input file, so the input is first split into
`--workers` files (timed, as it is part of running datatrove on one JSONL).

`--export` (not timed) turns the filter stage's outputs into clusters.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from common import DEFAULT_BANDS, DEFAULT_ROWS, NGRAM, base_args, report


def split_input(data: Path, shard_dir: Path, n: int) -> None:
    """Round-robin the rows into n shard files, one per datatrove task."""
    shard_dir.mkdir(parents=True, exist_ok=True)
    outs = [open(shard_dir / f"part-{i:03d}.jsonl", "w", encoding="utf-8") for i in range(n)]
    with open(data, encoding="utf-8") as f:
        for i, line in enumerate(f):
            outs[i % n].write(line)
    for o in outs:
        o.close()


def run_pipeline(data: Path, work: Path, workers: int) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    from datatrove_tokenizer import WhitespaceTokenizer

    shards = work / "input"
    split_input(data, shards, workers)
    config = MinhashConfig(n_grams=NGRAM, num_buckets=DEFAULT_BANDS, hashes_per_bucket=DEFAULT_ROWS,
                           hash_config=HashConfig(precision=64))
    def reader():
        return JsonlReader(str(shards), glob_pattern="*.jsonl", text_key="text", id_key="id")
    common = dict(workers=workers, start_method="fork")
    logs = work / "logs"
    LocalPipelineExecutor(
        [reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config,
                                         language=WhitespaceTokenizer())],
        tasks=workers, logging_dir=str(logs / "sigs"), **common).run()
    LocalPipelineExecutor(
        [MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config)],
        tasks=DEFAULT_BANDS, logging_dir=str(logs / "buckets"), **common).run()
    LocalPipelineExecutor(
        [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"),
                             config=config, save_cluster_id=True)],
        tasks=1, logging_dir=str(logs / "clusters"), **common).run()
    LocalPipelineExecutor(
        [reader(),
         MinhashDedupFilter(input_folder=str(work / "remove_ids"), load_cluster_ids=True,
                            exclusion_writer=JsonlWriter(str(work / "removed"), compression=None)),
         JsonlWriter(str(work / "deduplicated"), compression=None)],
        tasks=workers, logging_dir=str(logs / "filter"), **common).run()


def export(work: Path, out: Path) -> None:
    """Kept + removed docs carry metadata.minhash_cluster_id (-1 = no cluster)."""
    with open(out, "w", encoding="utf-8") as fo:
        for sub in ("deduplicated", "removed"):
            for path in sorted((work / sub).glob("*.jsonl")):
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        row = json.loads(line)
                        cid = row.get("metadata", {}).get("minhash_cluster_id", -1)
                        if cid != -1:
                            fo.write(json.dumps({"id": row["id"], "cluster": f"c{cid}"}) + "\n")


def main() -> None:
    ap = base_args(__doc__)
    ap.add_argument("--export", action="store_true", help="only convert outputs to clusters")
    args = ap.parse_args()
    work = args.workdir
    if args.export:
        export(work, args.out)
        return
    report(tool="datatrove", n_grams=NGRAM, buckets=DEFAULT_BANDS, hashes_per_bucket=DEFAULT_ROWS,
           tokenizer="whitespace (after datatrove's simplify_text)", workers=args.workers)
    shutil.rmtree(work, ignore_errors=True)
    run_pipeline(args.data, work, args.workers)


if __name__ == "__main__":
    main()
