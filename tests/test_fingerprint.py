"""The compiled fingerprint kernel against a plain-Python reading of fingerprint/__init__.py's definition.

Stores keep signatures, band keys and verification sets: if the kernel's arithmetic drifted (a
uint64 silently promoted to float, a densification off by one bin), new articles would stop
matching stored ones. The reference below is written from the module docstring, one integer at
a time, independent of numpy and numba.
"""
import re

import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

import unicodedata

from newsfold import fingerprint as F
from newsfold.config import SETTINGS
from newsfold.fingerprint import kernels, prepare
from newsfold.match.verify import pack_all_sets
from reference import unpack_sets

M64 = (1 << 64) - 1


def mix(h):
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & M64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & M64
    return h ^ (h >> 31)


def tokens(text):
    """(hash, is name/figure) of each `\\w+` run of an ASCII text."""
    out = []
    for m in re.finditer(r"[A-Za-z0-9_]+", text):
        word = m.group().lower().encode()
        h, p = 0, 1
        for byte in word:
            h = (h + (byte + 1) * p) & M64
            p = (p * 0x100000001B3) & M64
        first = m.group()[0]
        out.append((mix((h + len(word)) & M64), first.isupper() or first.isdigit()))
    return out


def grams(tok):
    g0, g1, g2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
    if len(tok) >= 3:
        return [mix(((tok[i] * g0) & M64) ^ ((tok[i + 1] * g1) & M64) ^ ((tok[i + 2] * g2) & M64))
                for i in range(len(tok) - 2)]
    x = 0
    for t in tok:
        x ^= (t * g0) & M64
    return [mix(x)] if tok else []


def oph(values, bins=128):
    sig = [None] * bins
    for g in values:
        h = mix(g ^ 0x5851F42D4C957F2D)
        b, v = h >> 57, h & 0xFFFFFFFF
        sig[b] = v if sig[b] is None else min(sig[b], v)
    if all(v is None for v in sig):
        return [0xFFFFFFFF] * bins
    out = []
    for j in range(bins):  # nearest filled bin to the right, circularly, plus distance × step
        step = next(s for s in range(bins) if sig[(j + s) % bins] is not None)
        out.append((sig[(j + step) % bins] + step * 0x9E3779B1) & 0xFFFFFFFF)
    return out


def band_keys(sig, bands, rows, salt, lead):
    keys = []
    for b in range(bands):
        h = (salt * 0x9E3779B97F4A7C15 + b) & M64
        for r in range(rows):
            h = mix(h ^ sig[b * rows + r])
        h = (h & ~1 & M64) | lead
        keys.append(h - (1 << 64) if h >> 63 else h)
    return keys


def reference(text):
    toks = tokens(text)
    tok = [t for t, _ in toks]
    g = grams(tok)
    lead_n = len(g) if len(tok) < 3 else SETTINGS.lead_words - 2
    check_n = len(g) if len(tok) < 3 else SETTINGS.lead_check_words - 2
    sig, lead_sig = oph(g), oph(g[:lead_n])
    return {
        "body_hash": xxhash.xxh3_128_hexdigest(b"".join(t.to_bytes(8, "little") for t in tok)),
        "n_words": len(tok),
        "signature": sig,
        "keys": band_keys(sig, SETTINGS.body_bands, SETTINGS.body_rows, 1, 0)
        + band_keys(lead_sig, SETTINGS.lead_bands, SETTINGS.lead_rows, 2, 1),
        "shingles": sorted({x >> 32 for x in g}),
        "lead": sorted({x >> 32 for x in g[:check_n]}),
        "entities": sorted({t >> 32 for t, name in toks if name}),
    }


def as_lists(fp):
    return {"body_hash": fp.body_hash, "n_words": fp.n_words, "signature": fp.signature.tolist(),
            "keys": fp.keys.tolist(), "shingles": fp.shingles.tolist(), "lead": fp.lead.tolist(),
            "entities": fp.entities.tolist()}


NEWS = ("LONDON, March 3 - The Bank of England held rates at 5.25 percent on Thursday, saying inflation "
        "was falling faster than expected. Governor Andrew Bailey said cuts were not yet on the table. "
        "Sterling rose 0.4 percent to $1.27 after the decision, while gilt yields edged lower.")


def test_kernel_matches_the_reference_on_news_text():
    texts = [NEWS, NEWS[:80], NEWS * 3, "Two words", "one", "", "... --- !!!", "A b c"]
    for text, fp in zip(texts, F.fingerprint_batch(texts)):
        assert as_lists(fp) == reference(text), text[:40]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcXYZ019_ .,\n-", max_size=300), min_size=1, max_size=8))
def test_kernel_matches_the_reference_on_any_ascii_batch(texts):
    # batched: one text's bytes must never leak into its neighbour's tokens or bins
    for text, fp in zip(texts, F.fingerprint_batch(texts)):
        assert as_lists(fp) == reference(text)


def test_tokens_longer_than_the_power_table_hash_as_the_definition_says():
    # the kernel looks P^k up in a table of kernels.POWERS entries; a text with a longer token
    # (a run-together URL, a base64 blob) is hashed again by the running product
    n = kernels.POWERS
    texts = ["x" * (n - 1) + " then words", "y" * n + " then", "z" * (n + 1) + " and more",
             "Q" * (5 * n) + " " + NEWS, NEWS + " " + "9" * (n + 7), "a b " + "c" * (2 * n) + " d e"]
    for text, fp in zip(texts, F.fingerprint_batch(texts)):
        assert as_lists(fp) == reference(text), text[:20]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=400), min_size=1, max_size=6))
def test_a_batch_packs_each_articles_sets_as_verification_reads_them(texts):
    # the writer verifies against the blobs the workers pack for a whole batch at once: each must
    # hold that article's own fingerprint, as the layout says
    texts = [NEWS, *texts]
    packed = F.fingerprint_packed(texts)
    blobs = pack_all_sets(packed)
    assert len(blobs) == len(texts)
    for blob, fp in zip(blobs, packed):
        body_hash, n_words, shingles, lead, entities = unpack_sets(blob)
        assert (body_hash, n_words) == (fp.body_hash, fp.n_words)
        assert shingles.tolist() == fp.shingles.tolist() and entities.tolist() == fp.entities.tolist()
        assert lead.tolist() == fp.lead.tolist()


def prints_prepared_by(how, texts):
    saved = prepare.prepared
    prepare.prepared = how
    try:
        return [as_lists(fp) for fp in F.fingerprint_batch(texts)]
    finally:
        prepare.prepared = saved


def by_regex(text):
    if text.isascii():
        return text.lower().encode("ascii"), text.encode("ascii")
    return prepare._prepared_by_regex(unicodedata.normalize("NFKC", text))


TRICKY = ["Caf\u00e9 \u201cquoted\u201d \u2014 it\u2019s 5\u00a0km", "\u0130stanbul \u0130\u0130 kap\u0131", "\u1e9e and \u023a swap widths",
          "\u1e9e \u201cquoted\u201d \u023a", "emoji \U0001F600 beyond the BMP", "lone \ud800 surrogate", "line\u2028separator", "com\u0301bining e\u0301",
          "\u6771\u4eac\u90fd \u65b0\u805e", "\u212a kelvin \ufb01 ligature", "soft\u00adhyphen", "\u00bfQu\u00e9? \u00a1S\u00ed!",
          "\u03a3.\u039f.\u03a3 \u0391\u03a3\u0395\u03a0:\u03a3 \u0391.\u03a3. \u03a4\u039f\u03a5\u03a3\u2019\u0391"]  # final sigma


def test_non_ascii_bodies_get_the_tokens_the_regex_definition_gives():
    texts = TRICKY + [NEWS.replace("'", "\u2019").replace(" - ", " \u2014 ")]
    assert prints_prepared_by(prepare.prepared, texts) == prints_prepared_by(by_regex, texts)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=120) | st.sampled_from(TRICKY), min_size=1, max_size=5))
def test_any_unicode_body_gets_the_tokens_the_regex_definition_gives(parts):
    # the compiled walk that blanks punctuation must agree with _NON_WORD on every character,
    # and hand any text it cannot map character for character to the regex
    texts = [" ".join(parts), *parts]
    assert prints_prepared_by(prepare.prepared, texts) == prints_prepared_by(by_regex, texts)


def test_a_character_called_inert_is_left_alone_by_nfkc_wherever_it_stands():
    """The compiled walk skips normalising a text made of characters the table calls inert: each
    must come out of NFKC as it went in after any of these starters (which compose with what
    follows them, or are themselves compositions), and lower-case to one BMP character."""
    word_or_space, lower, inert = prepare._bmp_tables()
    chars = [chr(cp) for cp in range(0x80, 0x10000) if inert[cp]]
    assert len(chars) > 30_000
    for before in ["e", "a\u0301", "\u1100", "\uac00", "\u0b47", "\u0915", "\u304b", "\u212a", "A"]:
        start = unicodedata.normalize("NFKC", before)
        joined = unicodedata.normalize("NFKC", before + "".join(chars))
        assert joined == start + "".join(chars), before  # all at once first: fast when it holds
    assert lower.max() < 0x10000
    assert not inert[0xD800:0xE000].any()  # surrogates
    assert not any(unicodedata.combining(c) for c in chars)  # no combining mark (U+034F, a joiner of class 0, is one)
