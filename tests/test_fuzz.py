"""A small run of the mutation fuzzer (tests/fuzz.py) in CI: 70 mutated inputs, ten of each
format, beside good captures. The long run is in the README (10,000 inputs)."""
from __future__ import annotations

import fuzz


def test_mutated_inputs_of_every_format_never_stop_a_run(tmp_path):
    batches = fuzz.fuzz(70, seed=7, work=tmp_path, log=lambda _: None)
    assert [b.failures for b in batches] == [[]]
    assert batches[0].problems >= 10  # the mutations do break files
