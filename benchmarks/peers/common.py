"""Helpers shared by the peer runners (matched settings, I/O, union-find).

Every runner reads the same JSONL (field `text`) and writes predicted clusters
as JSONL {"id", "cluster"}; ids left out of that file count as singletons.
"""
from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path

# Matched settings for every tool.
NGRAM = 5          # 5-word shingles
NUM_PERM = 128     # permutations
THRESHOLD = 0.8    # Jaccard threshold
SEED = 42
# Used where the tool has no optimal-parameter function of its own.
DEFAULT_BANDS, DEFAULT_ROWS = 16, 8

_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = NGRAM) -> set[str]:
    """Lowercase word tokens joined into n-word shingles (short texts: one shingle)."""
    words = _WORD.findall(text.lower())
    if len(words) <= n:
        return {" ".join(words)}
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def read_docs(path: Path) -> Iterator[tuple[str, str]]:
    """Yield (id, text) from a JSONL corpus."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            yield row["id"], row["text"]


class UnionFind:
    """Array-backed union-find over dense integer keys (0..n-1)."""

    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # keep the smaller index as root so clusters are named by their first doc
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def write_clusters(path: Path, ids: list[str], uf: UnionFind) -> None:
    """Write one row per document that shares its cluster with another."""
    roots = [uf.find(i) for i in range(len(ids))]
    sizes: dict[int, int] = {}
    for r in roots:
        sizes[r] = sizes.get(r, 0) + 1
    with open(path, "w", encoding="utf-8") as f:
        for i, r in enumerate(roots):
            if sizes[r] > 1:
                f.write(json.dumps({"id": ids[i], "cluster": ids[r]}) + "\n")


def base_args(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("data", type=Path, help="input JSONL (fields id, text)")
    ap.add_argument("--out", type=Path, required=True, help="predicted clusters JSONL")
    ap.add_argument("--workdir", type=Path, help="scratch folder for tools that need one")
    ap.add_argument("--workers", type=int, default=2)
    return ap


def report(**params) -> None:
    """Print the settings actually used, so run.py can record them."""
    print("PARAMS " + json.dumps(params), flush=True)
