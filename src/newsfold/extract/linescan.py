"""Compiled line scan of a plain-text capture (numba): the lines `text.split_lines` gives, the
blank lines before each, each line's spaces, and which lines the line rules cannot call furniture.

Splitting a capture into lines and putting each through `lines.is_furniture` cost ~25 µs for a
3 KB body: a few dozen Python steps a line (strip, fold, count, six substring tests for menu
separators, the first word ...), each a pass over the line. One compiled pass over the body's
UTF-8 bytes counts what those steps look at. The rules stay in `lines.py`: the scan *screens* a
line out only when what it counted leaves them nothing to find, and every other line is still
judged by them (`tests/test_extract.py` holds the scan to `split_lines` and `is_furniture`).
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit

# columns of the scan's facts, one row per non-blank line
START, END, GAP, SPACES, SCREENED, FOLD, WORDS = range(7)
ODD_SPACE, CLEAN, SINGLE_GAPS, RUN_ON = 1, 2, 4, 8  # the scan's flags about the whole text
_FNV_SEED, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


def word_hash(word: str) -> int:
    """The scan's hash of a lower-case ASCII word (FNV-1a over its bytes), as a signed 64-bit int."""
    h = int(_FNV_SEED)
    for b in word.encode("ascii"):
        h = ((h ^ b) * int(_FNV_PRIME)) & 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >= 1 << 63 else h


@njit(cache=True, nogil=True)
def _odd_space_at(data, i, n):
    """Does a non-ASCII white space character (`text._ODD_SPACES`) start at byte i?"""
    b = data[i]
    if i + 1 >= n:
        return False
    c = data[i + 1]
    if b == 0xC2:
        return c == 0x85 or c == 0xA0
    if i + 2 >= n:
        return False
    d = data[i + 2]
    if b == 0xE1:
        return c == 0x9A and d == 0x80
    if b == 0xE2:
        return (c == 0x80 and (d <= 0x8A or d == 0xA8 or d == 0xA9 or d == 0xAF)) or (c == 0x81 and d == 0x9F)
    if b == 0xE3:
        return c == 0x80 and d == 0x80
    return False


@njit(cache=True, nogil=True)
def _find(hashes, h):
    """The index of h in the sorted array `hashes`, or -1 (a binary search: the arrays are a few
    dozen words)."""
    lo, hi = 0, hashes.size
    while lo < hi:
        mid = (lo + hi) >> 1
        if hashes[mid] < h:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < hashes.size and hashes[lo] == h else -1


@njit(cache=True, nogil=True)
def _word_hash(line, q, end):
    """(hash of the lower-cased ASCII word at line[q:], where it ends, whether it ends the word:
    no non-ASCII character, which could be a letter, goes on after it)."""
    h = _FNV_SEED
    while q < end:
        b = line[q]
        if not (_is_letter(b) or 48 <= b <= 57 or b == 95):
            break
        h = (h ^ np.uint64(b | 32 if 65 <= b <= 90 else b)) * _FNV_PRIME
        q += 1
    return np.int64(h), q, q >= end or line[q] < 0x80


@njit(cache=True, nogil=True)
def _has_footer_word(line):
    """Does the line hold, in any case, one of the words every footer phrase of `lines._FOOTER` has?
    (Or a Kelvin sign, U+212A, whose lower case is a k: "coo\u212aie" lower-cases to "cookie".)"""
    n = line.size
    for q in range(n - 2):
        if line[q] == 0xE2 and line[q + 1] == 0x84 and line[q + 2] == 0xAA:
            return True
    for q in range(n - 4):
        c = line[q] | 32
        if c == 114 and q + 6 <= n:  # rights
            if (line[q + 1] | 32) == 105 and (line[q + 2] | 32) == 103 and (line[q + 3] | 32) == 104 \
                    and (line[q + 4] | 32) == 116 and (line[q + 5] | 32) == 115:
                return True
        elif c == 112 and q + 7 <= n:  # privacy
            if (line[q + 1] | 32) == 114 and (line[q + 2] | 32) == 105 and (line[q + 3] | 32) == 118 \
                    and (line[q + 4] | 32) == 97 and (line[q + 5] | 32) == 99 and (line[q + 6] | 32) == 121:
                return True
        elif c == 116 and q + 5 <= n:  # terms
            if (line[q + 1] | 32) == 101 and (line[q + 2] | 32) == 114 and (line[q + 3] | 32) == 109 \
                    and (line[q + 4] | 32) == 115:
                return True
        elif c == 99 and q + 6 <= n:  # cookie
            if (line[q + 1] | 32) == 111 and (line[q + 2] | 32) == 111 and (line[q + 3] | 32) == 107 \
                    and (line[q + 4] | 32) == 105 and (line[q + 5] | 32) == 101:
                return True
    return False


@njit(cache=True, nogil=True)
def _opening_rules_pass(line, spaces, gate_hashes, gate_rules, share_hashes):
    """For a line opening with an ASCII letter: can no rule that looks at its first word match it?
    (`lines._OPENING_RULES`: a share bar up to 20 spaces, the residue and prompt regexes up to
    the spaces each opener allows, a list header up to 6.) A share bar's second word is a
    share-bar word too (lines._all_share_words' first test): "The company said ..." is no share bar."""
    h, end, ends = _word_hash(line, 0, line.size)
    if not ends:
        return False
    at = _find(gate_hashes, h)
    if at < 0:
        return True
    share, residue, prompt, header = gate_rules[at, 0], gate_rules[at, 1], gate_rules[at, 2], gate_rules[at, 3]
    if spaces <= residue or (spaces < 10 and spaces <= prompt) or (spaces <= 6 and header):
        return False
    if share and spaces <= 20:
        q = 0
        while q < line.size and line[q] != 32:
            q += 1
        q += 1  # the second word, as _all_share_words cuts it: up to the next space
        second_start = q
        letters = True
        while q < line.size and line[q] != 32:
            letters = letters and _is_letter(line[q])
            q += 1
        if not letters or q == second_start:
            return False
        h2, _, _ = _word_hash(line, second_start, q)
        return _find(share_hashes, h2) < 0
    return True


@njit(cache=True, nogil=True)
def _is_letter(b):
    return 65 <= b <= 90 or 97 <= b <= 122


# What the line counts look back at: a byte's class (a space, another ASCII character that is no
# word character, an ASCII word character \w, a byte of a non-ASCII character)
_SPACE, _OTHER, _WORD, _HIGH = 0, 1, 2, 3


def _byte_classes() -> np.ndarray:
    classes = np.full(256, _OTHER, np.uint64)
    classes[32] = _SPACE
    classes[list(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] = _WORD
    classes[128:] = _HIGH
    return classes


def _pair_counts(classes: np.ndarray) -> np.ndarray:
    """Per (class of the byte before, byte): what the byte adds to each of `_line_counts`' eight
    counts, one byte lane of a uint64 each: a space that ends a run of spaces (a space before a
    non-space), a space after a space, a word's first character (an ASCII word character after
    an ASCII character that is none), | > /, an ASCII letter other than k and m, a UTF-8
    continuation byte."""
    table = np.zeros(4 * 256, np.uint64)
    for before in range(4):
        for b in range(256):
            cls, low = int(classes[b]), b | 32
            counts = (before == _SPACE and cls != _SPACE, before == _SPACE and cls == _SPACE,
                      cls == _WORD and before in (_SPACE, _OTHER), b == 124, b == 62, b == 47,
                      97 <= low <= 122 and low not in (107, 109), b & 0xC0 == 0x80)
            table[before << 8 | b] = sum(int(c) << (8 * lane) for lane, c in enumerate(counts))
    return table


BYTE_CLASSES = _byte_classes()
PAIR_COUNTS = _pair_counts(BYTE_CLASSES)


@njit(cache=True, nogil=True)
def _line_counts(data, a, e):
    """(spaces once folded, spaces after a space, words at most, pipes, angles, slashes, ASCII
    letters other than k and m, UTF-8 continuation bytes) of the line data[a:e], which neither
    opens nor ends with a space. One table lookup a byte, summed in eight byte-wide lanes of a
    uint64 (so at most 255 bytes between unpackings); indices unsigned, which spares each load a
    check for a negative index. `words` counts the ASCII word characters that follow an ASCII
    character that is none (or open the line): each opens a word, so there are never more of
    them than words (a word may open with, or go on after, a non-ASCII letter)."""
    runs = double = words = pipes = angles = slashes = letters = cont = np.uint64(0)
    before = np.uint64(_OTHER)
    q, end = np.uint64(a), np.uint64(e)
    while q < end:
        stop = min(end, q + np.uint64(255))
        lanes = np.uint64(0)
        while q < stop:
            b = np.uint64(data[q])
            lanes += PAIR_COUNTS[before << np.uint64(8) | b]
            before = BYTE_CLASSES[b]
            q += np.uint64(1)
        runs += lanes & np.uint64(255)
        double += (lanes >> np.uint64(8)) & np.uint64(255)
        words += (lanes >> np.uint64(16)) & np.uint64(255)
        pipes += (lanes >> np.uint64(24)) & np.uint64(255)
        angles += (lanes >> np.uint64(32)) & np.uint64(255)
        slashes += (lanes >> np.uint64(40)) & np.uint64(255)
        letters += (lanes >> np.uint64(48)) & np.uint64(255)
        cont += lanes >> np.uint64(56)
    return (np.int64(runs), np.int64(double), np.int64(words), np.int64(pipes), np.int64(angles),
            np.int64(slashes), np.int64(letters), np.int64(cont))


@njit(cache=True, nogil=True)
def scan_lines(data, gate_hashes, gate_rules, share_hashes):
    """Facts of each non-blank line of a text's UTF-8 bytes `data` split at line ends, stripped of
    spaces and with runs of spaces folded to one, and flags about the whole text: (facts, todo,
    flags); todo: (index, spaces) of each line that is not screened (see below).

    facts: one int64 row per line: its first and end character (code points of the text), the
    blank lines before it (99 more before the first), its spaces once folded, whether it is
    screened, whether it needs folding, and how many words it has at least (an ASCII word
    character after an ASCII character that is none opens one: `lines.has_words` may be told
    so). flags: ODD_SPACE (white space other than spaces and line
    ends: no facts, the caller splits the text the general way), CLEAN (no line needed stripping
    or folding: the lines are the text's non-empty pieces between line ends), SINGLE_GAPS (one
    blank line before every line but the first), RUN_ON (a line but the first with no blank line
    before it).

    Screened: `lines.is_furniture` cannot call the line furniture, by what it tests first:
    - a menu (is_navigation) needs one of | › > • · / at least twice in the line (the last three
      counted by the byte each ends with, 0xBA 0xA2 0xB7);
    - a widget (is_widget) has no letter other than k and m, or 3 characters at most;
    - under 24 spaces, the share-bar, residue and prompt rules need a line that opens with no
      ASCII letter, or with a first word they look for (`gate_hashes`, `gate_rules`, see
      _opening_rules_pass); under 12, the footer rule needs one of its words, and the separator
      rule a line that opens with no letter or digit.
    - a list header (residue_mask) has 6 spaces at most and opens with one of
      `lines.LIST_HEADER_OPENERS`.
    A line the scan cannot tell about (a first word that runs into non-ASCII characters) is not
    screened: the rules judge it."""
    n = data.size
    facts = np.empty((0, 7), np.int64)
    todo = np.empty((0, 2), np.int64)
    odd = 0
    high = 0
    for i in range(n):  # branch-free counts: compiled to vector instructions
        b = data[i]
        odd += (b < 32) & (b != 10)
        high += b >= 0x80
    if odd:
        return facts, todo, ODD_SPACE
    if high:
        for i in range(n):
            if data[i] >= 0xC2 and _odd_space_at(data, i, n):
                return facts, todo, ODD_SPACE
    ends = np.empty(n + 1, np.int64)  # where each line ends: the line ends, then the text's end
    m = 0
    for i in range(n):
        ends[m] = i
        m += data[i] == 10
    ends[m] = n
    facts = np.empty((m + 1, 7), np.int64)
    todo = np.empty((m + 1, 2), np.int64)
    n_todo = 0
    k = 0
    gap = 99
    clean = True
    single_gaps = True
    run_on = False
    i = 0
    cont = 0  # UTF-8 continuation bytes before byte i: its code point is i - cont
    for t in range(m + 1):
        j = ends[t]
        a, e = i, j
        while a < e and data[a] == 32:
            a += 1
        while e > a and data[e - 1] == 32:
            e -= 1
        if a == e:  # a blank line
            if j > i:
                clean = False  # spaces only: not a line, though not empty
            gap += 1
        else:
            if a > i or e < j:
                clean = False
            if k > 0 and gap != 1:
                single_gaps = False
                run_on = run_on or gap == 0
            line = data[a:e]
            runs, double, words, pipes, angles, slashes, other_letter, line_cont = _line_counts(data, a, e)
            tail_ba = tail_a2 = tail_b7 = 0  # ›, •, · (their last bytes)
            if high:
                for q in range(line.size):
                    b = line[q]
                    tail_ba += b == 0xBA
                    tail_a2 += b == 0xA2
                    tail_b7 += b == 0xB7
            lead = data[a]
            lead_letter = _is_letter(lead)
            widget = (e - a - line_cont - double <= 3  # characters, once runs of spaces are folded
                      or other_letter == 0 and not (lead_letter and lead != 107 and lead != 109 and lead != 75 and lead != 77))
            # a menu splits into parts of 1-3 words at a separator that is there at least twice: at
            # most 3 words per part. `words` counts the ASCII word characters that follow an ASCII
            # character that is none (or open the line): each opens a word, so there are never
            # more of them than words (a word may open with, or go on after, a non-ASCII letter).
            no_menu = True
            for count in (pipes, angles, slashes, tail_ba, tail_a2, tail_b7):
                if count >= 2 and words <= 3 * (count + 1):
                    no_menu = False
            screened = False
            if runs > 30:
                screened = no_menu
            elif runs >= 24:
                screened = no_menu and not widget
            elif lead_letter and no_menu and not widget:
                screened = _opening_rules_pass(line, runs, gate_hashes, gate_rules, share_hashes) and (
                    runs >= 12 or not _has_footer_word(line))
            facts[k, START] = a - cont
            facts[k, END] = e - cont - line_cont
            facts[k, GAP] = gap
            facts[k, SPACES] = runs
            facts[k, SCREENED] = screened
            facts[k, FOLD] = double > 0
            facts[k, WORDS] = words
            if not screened:
                todo[n_todo, 0], todo[n_todo, 1] = k, runs
                n_todo += 1
            if double:
                clean = False
            k += 1
            gap = 0
            cont += line_cont
        i = j + 1
    flags = (CLEAN if clean else 0) | (SINGLE_GAPS if single_gaps else 0) | (RUN_ON if run_on else 0)
    return facts[:k], todo[:n_todo], flags


@functools.cache
def gate() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the scan needs of the line rules' word lists: the hashes of the first words some rule
    looks for (sorted), each word's (share bar?, residue spaces, prompt spaces) as in
    `lines._OPENING_RULES` and whether a list header opens with it, and the hashes of the
    share-bar words (sorted)."""
    from . import lines as L

    words = {**{w: (False, -1, -1) for w in L.LIST_HEADER_OPENERS}, **L._OPENING_RULES}
    rules = {word_hash(w): (*rule, int(w in L.LIST_HEADER_OPENERS)) for w, rule in words.items()}
    hashes = np.array(sorted(rules), np.int64)
    table = np.array([[int(rules[h][0]), rules[h][1], rules[h][2], rules[h][3]] for h in hashes.tolist()],
                     np.int64).reshape(-1, 4)
    return hashes, table, np.array(sorted(word_hash(w) for w in L._SOCIAL), np.int64)


class ScannedText:
    """The lines of a text (as split_lines gives them) and what the scan found about them."""

    def __init__(self, texts: list[str], facts: np.ndarray, todo: np.ndarray, flags: int) -> None:
        self.texts, self.facts, self.todo, self.flags = texts, facts, todo, flags

    @property
    def gaps(self) -> list[int]:
        return self.facts[:, GAP].tolist()

    @property
    def spaces(self) -> list[int]:
        return self.facts[:, SPACES].tolist()

    @property
    def screened(self) -> list[int]:
        """1 for a line that cannot be furniture."""
        return self.facts[:, SCREENED].tolist()

    def words_at_least(self, i: int) -> int:
        """A lower bound on the words of line i (as `lines.has_words` counts them)."""
        return self.facts.item(i, WORDS)

    @property
    def run_on(self) -> bool:
        """A line but the first follows the one before it with no blank line."""
        return bool(self.flags & RUN_ON)

    def unscreened(self) -> list[list[int]]:
        """[index, spaces] of the lines the rules must judge."""
        return self.todo.tolist()


def scan(text: str) -> ScannedText | None:
    """The lines of `text` with their facts, or None for a text with white space other than
    spaces and line ends (split it the general way)."""
    facts, todo, flags = scan_lines(np.frombuffer(text.encode("utf-8", "surrogatepass"), np.uint8), *gate())
    if flags & ODD_SPACE:
        return None
    if not facts.shape[0]:
        texts = []
    elif flags & CLEAN and flags & SINGLE_GAPS:  # "line\n\nline\n\nline": every other piece
        texts = text.strip("\n").split("\n")[::2]  # (split at "\n\n" took 1.6 µs more a body)
    elif flags & CLEAN:  # every non-empty piece between line ends is a line as it stands
        texts = list(filter(None, text.split("\n")))
    else:
        texts = list(map(text.__getitem__, map(slice, facts[:, START].tolist(), facts[:, END].tolist())))
        for i in np.flatnonzero(facts[:, FOLD]).tolist():
            texts[i] = " ".join(texts[i].split())
    return ScannedText(texts, facts, todo, flags)
