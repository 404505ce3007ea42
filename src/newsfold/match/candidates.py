"""Candidate pairs: articles that share band keys of enough weight, and exact copies.

A pair is a candidate when it shares one body band, or two lead bands (a lone shared lead band
is mostly two texts that open with the same paragraph, while a brief shares all its lead bands
and a rewrite some body band), or the same body hash. A band bucket of more articles than its
limit pairs its first `limit` members (by article id) and no later one: many texts opening with
one stock paragraph make huge lead buckets (boilerplate), and a brief of one story rarely has
more than a handful of versions. Counting members by id, not a bucket's size at some moment,
makes the rule the same for every engine and every order of work: an engine that sees a bucket
whole cuts it at its limit, and one that adds batches to an index pairs a new member only while
the bucket (earlier members first) has room.

Sets of pairs are sorted int64 codes (`pair_codes`), never Python sets of tuples: at scale a
batch has millions of candidate rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..config import SETTINGS

WEIGHT_BITS = 2  # a key weight fits in them (weighty_pairs sorts it along with its pair)


def _kernels():
    from . import kernels  # numba: loaded by the commands that match

    return kernels


def bucket_limit(keys: np.ndarray) -> np.ndarray:
    """Largest bucket worth pairing up, per key (its lowest bit marks a lead band)."""
    return np.where(keys & 1, SETTINGS.max_lead_bucket, SETTINGS.max_bucket)


def key_weights(keys: np.ndarray) -> np.ndarray:
    """Weight of each band key: its lowest bit marks a lead band."""
    return np.where(keys & 1, SETTINGS.lead_key_weight, SETTINGS.body_key_weight)


def pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs of article ids as int64 codes min << 32 | max."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    return (np.minimum(a, b) << 32) | np.maximum(a, b)


def decode_pairs(codes: np.ndarray) -> np.ndarray:
    """(n × 2) array of (smaller id, larger id)."""
    return np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)


def candidate_pairs(keys: np.ndarray, owners: np.ndarray, presorted: bool = False,
                    earlier: np.ndarray | None = None) -> np.ndarray:
    """Sorted codes of the owner pairs whose shared band keys weigh enough. `presorted`: the keys
    are sorted already, owners ascending within a key (a batch's keys are sorted once for this,
    the index lookup and the index). `earlier`: per key, members its bucket had before these."""
    if not presorted:
        order = np.lexsort((owners, keys))
        keys, owners = keys[order], owners[order]
    code, total = bucket_weights(keys, owners, earlier)
    return code[total >= SETTINGS.min_key_weight]


def weighted_pairs(pairs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(m × 2) owner pairs, one row per shared key with that key's weight → sorted codes of the
    distinct pairs whose summed weight reaches min_key_weight."""
    code, total = summed_weights(pairs, weights)
    return code[total >= SETTINGS.min_key_weight]


def summed_weights(pairs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m × 2) owner pairs, one row per shared key with that key's weight → the distinct pairs'
    sorted codes and their summed weights (a pair of one owner twice is dropped)."""
    keep = pairs[:, 0] != pairs[:, 1]
    return sum_by_code(pair_codes(pairs[keep, 0], pairs[keep, 1]), weights[keep])


def sum_by_code(code: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair codes (any order, repeated) with a weight each → the distinct codes, sorted, and each
    one's summed weight."""
    if code.size == 0:
        return code, weights.astype(np.int64, copy=False)
    if code.max() < 1 << (63 - WEIGHT_BITS) and 0 <= weights.min() and weights.max() < 1 << WEIGHT_BITS:
        # each pair's code with its key's weight in the low bits, sorted as one array: a plain sort
        # of 8-byte values instead of an argsort and two gathers (ids under 2^29, weights under 4)
        tagged = np.sort((code << WEIGHT_BITS) | weights)
        code, weights = tagged >> WEIGHT_BITS, tagged & ((1 << WEIGHT_BITS) - 1)
    else:
        order = np.argsort(code)
        code, weights = code[order], weights[order]
    starts = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1])))
    return code[starts], np.add.reduceat(weights, starts)


def bucket_weights(keys: np.ndarray, owners: np.ndarray,
                   earlier: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every band bucket (keys sorted, owners ascending within a key) paired within its limit:
    the owner pairs' sorted codes and their summed key weights, for a second sum over the other
    buckets a pair shares (an engine that partitions buckets by key). `earlier`: per key, how
    many members the bucket had before these (they take that much of its limit)."""
    k, o = keys.astype(np.int64, copy=False), owners.astype(np.int64, copy=False)
    room = bucket_limit(k) - (0 if earlier is None else earlier)  # what earlier members left of each limit
    pairs, weights = _kernels().bucket_pairs(k, o, key_weights(k).astype(np.int64), room.astype(np.int64, copy=False))
    return summed_weights(pairs, weights)


def exact_copy_pairs(ids: Iterable[int], body_hashes: Iterable[str],
                     earlier: Callable[[list[str]], Iterable[tuple[int, str]]]) -> np.ndarray:
    """Sorted codes linking each article of a batch (`ids`, with their body hashes) to one earlier
    copy of its body: the first of those `earlier(hashes)` gives as (id, body hash), else the
    batch's first. One link a copy is enough: clustering takes copies together whatever links
    them, and a boilerplate body repeated thousands of times gives as many pairs, not millions."""
    by_hash: dict[str, list[int]] = {}
    for aid, body_hash in zip(ids, body_hashes):
        by_hash.setdefault(body_hash, []).append(aid)
    first: dict[str, int] = {}
    for old, body_hash in earlier(list(by_hash)):
        first[body_hash] = min(old, first.get(body_hash, old))
    a: list[int] = []
    b: list[int] = []
    for body_hash, group in by_hash.items():
        rep = first.get(body_hash, group[0])
        for aid in group:
            if aid != rep:
                a.append(rep)
                b.append(aid)
    return np.unique(pair_codes(np.array(a, np.int64), np.array(b, np.int64)))
