"""Every tunable number of the pipeline, in one checked place.

The fingerprint and match settings define what a store holds (its signatures and band keys),
so a store records them and refuses to be matched under others (store.schema). The batch
sizes say how work is cut for any engine; what only the local engine tunes (worker priority,
caches, the spill file) stays in `engines/local`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Settings:
    # fingerprint: what a body becomes (see fingerprint/__init__.py)
    shingle_words: int = 3  # 3-word containment separates rewrites from hard negatives best (devset)
    bins: int = 128  # one-permutation MinHash bins
    body_bands: int = 28  # × body_rows: ≈ 0.33 Jaccard threshold over the body
    body_rows: int = 3
    lead_words: int = 60  # a brief shares the lead, not the Jaccard: bands over the opening too
    lead_bands: int = 12
    lead_rows: int = 3
    lead_check_words: int = 40  # the opening that a follow-up rewrites and a copy keeps

    # match: which candidates are checked, and which pairs are one story (see match/__init__.py)
    min_containment: float = 0.6  # share of the shorter body's shingles found in the longer one
    min_score: float = 0.72  # mean of containment and name/figure overlap
    high_containment: float = 0.85  # above this the bodies are near-identical whatever their openings
    min_lead: float = 0.5  # share of one opening's shingles found in the other body
    prefilter_containment: float = 0.35  # estimated containment from which a pair is checked exactly ...
    prefilter_sigmas: float = 3.0  # ... or within this many standard errors of the same-story Jaccard
    max_bucket: int = 200  # a body band shared by more articles is boilerplate, not a duplicate signal
    max_lead_bucket: int = 20  # texts opening with one stock paragraph make huge lead buckets
    body_key_weight: int = 2  # a pair must share one body band or two lead bands: a lone shared lead
    lead_key_weight: int = 1  # band is mostly two texts that open with the same paragraph
    min_key_weight: int = 2

    # work: how captures are cut into tasks and written (any engine)
    chunk_rows: int = 256  # JSONL/Parquet rows per task (a capture file counts as file_rows)
    file_rows: int = 2
    batch_articles: int = 2048  # articles per write transaction
    # a capture whose extraction takes more CPU seconds is stopped and reported (real pages take
    # milliseconds; a 20 MiB page ~20 s; quadratic paths on hostile pages would take hours)
    extract_seconds: float = 30.0

    def __post_init__(self) -> None:
        problems = []
        if self.shingle_words != 3:
            problems.append("shingle_words: the fingerprint kernel hashes 3-word windows")
        if self.bins not in (64, 128, 256):
            problems.append("bins: 64, 128 or 256 (a power of two, a byte a bin in the sketch, read 8 at a time)")
        if self.body_bands * self.body_rows > self.bins or self.lead_bands * self.lead_rows > self.bins:
            problems.append("bands × rows must fit in the bins")
        if not self.shingle_words <= self.lead_check_words <= self.lead_words:
            problems.append("lead_check_words: between shingle_words and lead_words")
        for name in ("min_containment", "min_score", "high_containment", "min_lead", "prefilter_containment"):
            if not 0 < getattr(self, name) <= 1:
                problems.append(f"{name}: in (0, 1]")
        if not self.prefilter_containment <= self.min_containment <= self.high_containment:
            problems.append("prefilter_containment ≤ min_containment ≤ high_containment")
        if not 0 < self.lead_key_weight <= self.body_key_weight <= self.min_key_weight < 4:
            problems.append("key weights: 0 < lead ≤ body ≤ min < 4 (a weight is packed in 2 bits)")
        if min(self.max_bucket, self.max_lead_bucket, self.chunk_rows, self.file_rows, self.batch_articles) < 2:
            problems.append("bucket limits and batch sizes: at least 2")
        if not self.extract_seconds > 0:
            problems.append("extract_seconds: above 0")
        if problems:
            raise ValueError("invalid settings: " + "; ".join(problems))

    @property
    def bin_shift(self) -> int:
        """A 64-bit shingle hash's top log2(bins) bits pick its bin."""
        return 64 - self.bins.bit_length() + 1

    def fingerprint_fields(self) -> dict:
        """The settings a store's signatures and band keys depend on (recorded in the store)."""
        keys = ("shingle_words", "bins", "body_bands", "body_rows", "lead_words", "lead_bands", "lead_rows",
                "lead_check_words")
        return {k: v for k, v in asdict(self).items() if k in keys}


SETTINGS = Settings()
