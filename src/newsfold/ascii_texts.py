"""A chunk's texts as one buffer of bytes, for the compiled scans that read many texts in one
call (the dateline search of `published.opening_tops`, the digest item count of
`match.items_scan`): built once per chunk and read by both. Only ASCII texts are in it, where a
byte is a character, so what a scan finds at a byte is where a character is in the str."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class AsciiTexts(NamedTuple):
    """Text i is data[starts[i]:ends[i]]; a text with other characters is empty there (its
    `ascii[i]` is False), and the scans leave it to the regexes."""

    data: np.ndarray  # uint8
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    ascii: np.ndarray  # bool


def ascii_texts(texts: list[str]) -> AsciiTexts:
    ascii = np.fromiter(map(str.isascii, texts), np.bool_, len(texts))
    kept = [t if a else "" for t, a in zip(texts, ascii.tolist())]
    ends = np.cumsum(np.fromiter(map(len, kept), np.int64, len(texts)))
    starts = np.concatenate(([0], ends[:-1])).astype(np.int64) if len(texts) else ends.copy()
    return AsciiTexts(np.frombuffer("".join(kept).encode("ascii"), np.uint8), starts, ends, ascii)
