"""What a single line of a capture is: residue, a byline, a separator, a headline candidate, prose.

Rules look at the line's shape (length, case, punctuation, position words such as "Share" or
"Advertisement" that every site uses), never at one site's strings.
"""
from __future__ import annotations

import functools
import html
import re

# UTF-8 read as Latin-1/cp1252 leaves a lead-byte letter (Â…ô) before a continuation-byte character;
# other damage ftfy repairs (C1 controls, surrogates, width) shows as those characters themselves
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u2122"
    "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]|[\u0080-\u009f\ud800-\udfff\ufffd]"
)
_ENTITY = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_INVISIBLES = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")  # zero-width characters, soft hyphen


@functools.cache
def _ftfy():
    """ftfy and its settings, imported by the first text that needs repair (40 ms at start-up)."""
    import ftfy

    # keep typographic quotes: they are the source's text, not damage
    return ftfy, ftfy.TextFixerConfig(unescape_html=False, uncurl_quotes=False, fix_character_width=False, explain=False)


def _utf8_length(lead: int) -> int:
    return 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def _has_mojibake_hint(text: str) -> bool:
    """`_MOJIBAKE_HINT.search(text)`, tried only where a match can start: every character the
    regex can start with encodes with UTF-8 lead byte C2, C3, ED or EF, found by byte searches
    (the regex alone scans a text one character at a time, ~90 µs for an article; most non-ASCII
    news text has curly quotes and dashes, whose lead byte is E2, and a few accented letters)."""
    raw = text.encode("utf-8", "surrogatepass")
    for lead in (b"\xc3", b"\xc2", b"\xed", b"\xef"):
        i = raw.find(lead)
        while i >= 0:
            # the character at i and the one after it: all a match starting at i can span
            end = i + _utf8_length(raw[i])
            if end < len(raw):
                end += _utf8_length(raw[end])
            if _MOJIBAKE_HINT.match(raw[i:end].decode("utf-8", "surrogatepass")):
                return True
            i = raw.find(lead, i + 2)
    return False


def repair(text: str) -> str:
    """Fix mojibake and stray HTML entities; normalise line ends and odd spaces."""
    if not text.isascii() and _has_mojibake_hint(text):  # fix_text is slow
        ftfy, config = _ftfy()
        text = ftfy.fix_text(text, config)
    if "&" in text:
        # html.unescape only touches entity-shaped runs, so "AT&T" and "<IBM>" survive
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():  # invisible characters and no-break spaces are never ASCII
        for c in _INVISIBLES:  # six searches: the regex cost 20 times more
            if c in text:
                text = text.replace(c, "")
        text = text.replace("\u00a0", " ")
    return text.replace("\t", " ") if "\t" in text else text


WORD = re.compile(r"\w+", re.UNICODE)
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|"
    "august|september|october|november|december"
)
_DATE = re.compile(
    rf"(\b\d{{1,2}}(st|nd|rd|th)?\s+({_MONTHS})\.?,?\s+\d{{4}}\b|\b({_MONTHS})\.?\s+\d{{1,2}}(st|nd|rd|th)?,?\s+\d{{4}}\b"
    rf"|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b\d{{1,2}}:\d{{2}}\s*(am|pm|gmt|utc|et)?\b)",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(by|from|written by|words by|reporting by|report by|posted by|author:?|reporter:?)\s+\S", re.IGNORECASE
)
_STAMP = re.compile(r"^(published|updated|posted|last updated|first published|date|modified)\b", re.IGNORECASE)
# "NEW YORK, June 1 - ", "LONDON (Reuters) - ", "PARIS — ": the wire dateline that opens a body
_DATELINE = re.compile(r"^[A-Z][A-Z.'’\- ]{1,40}(,\s*[A-Z][A-Za-z.]+)?(,?\s*[A-Z][a-z]{2,9}\.?\s+\d{1,2})?\s*(\([^)]{1,30}\))?\s*[-–—]{1,2}\s")
_SEPARATOR = re.compile(r"^[\s\-=_*~#•·+<>|/\\]{3,}$|^(\W{2,})\s*\w+(\s+\w+){0,3}\s*\1$")
_META = re.compile(r"^(title|headline|url|link|source|date|published|author|byline|section|category|tags?|id)\s*:\s*(.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^[-•*·▪►»–—]\s+\S")
_ABBREV_END = re.compile(r"(\b[A-Z]\.[A-Z]\.|\b[A-Z][a-z]?\.)$")  # "WINS U.S." ends a headline, not a sentence
_CREDIT_TAIL = re.compile(r"\(([^()]{2,60})\)\s*\.?\s*$")
_CREDIT_LINE = re.compile(r"^(photo|image|picture|credit|photograph|photo credit)s?\s*(:|by)\s*(.+)$", re.IGNORECASE)

_SOCIAL = {
    "share", "shares", "on", "facebook", "x", "twitter", "email", "e", "mail", "print", "whatsapp", "linkedin",
    "copy", "link", "tweet", "this", "article", "story", "reddit", "telegram", "pinterest", "messenger",
    "save", "comment", "comments", "bluesky", "threads", "via", "sms", "gift", "the", "to", "send", "pin",
}
_SOCIAL_CORE = {"share", "shares", "facebook", "twitter", "whatsapp", "linkedin", "tweet", "email", "print", "reddit", "telegram", "pinterest"}
# whole lines of furniture (up to 24 words)
_RESIDUE = re.compile(
    r"^("
    r"advertisement|advert|ad|ads|sponsored( content)?|promoted( content)?|paid content|story continues( below)?( advertisement)?"
    r"|play video|watch( now| video)?|\d+\s*(min|mins|minute|minutes)\s*(read|listen)"
    r"|comments?|\d+\s+comments?|comments?\s*\(\d+\)|show comments|view comments|leave a comment|add a comment|join the conversation"
    r"|(read|see|watch|listen)( more| also| next)?\s*:.*|also read\s*:.*|more\s*:.*|related\s*:.*|recommended\s*:.*"
    r"|(read|view) (more|full (story|article))|back to top|top of page|next (article|story)|previous (article|story)"
    r"|image \d+ of \d+|\d+ of \d+|gallery|view gallery|enlarge( this image)?|zoom"
    r"|(the )?(reuters|reuter|ap|afp)|--\s*ends?\s*--|ends|\(?(reporting|writing|editing|additional reporting|compiled) by [^.]*\)?"
    r"|(©|\(c\)|copyright\b).*"
    r")$"
)
# calls to action: only as a short line of their own (a body sentence may start "Register…")
_PROMPT = re.compile(
    r"^(continue reading|scroll (down )?to continue|skip (to|ad)|close( ad)?|loading|listen( to this article)?|click here|tap here"
    r"|follow (us|@)|subscribe|sign up|sign in|log ?in|register|accept( all)?( cookies)?|manage (cookies|preferences|consent)"
    r"|we use cookies|cookie)\b.*$"
)
# footer phrases anywhere in a short line
_FOOTER = re.compile(r"all rights reserved|privacy policy|terms (of|and) (use|service|conditions)|cookie (settings|policy|preferences)")
_SOCIAL_HINT = re.compile(r"share|facebook|twitter|whatsapp|linkedin|tweet|e-?mail|print|reddit|telegram|pinterest")
_COUNTER = re.compile(r"\d+[km]?")
_LIST_HEADER = re.compile(
    r"^(related( stories| articles| news| coverage| content| topics| links)?|more (on this( story)?|from [\w ]+|stories|news|to read|like this)"
    r"|most (read|popular|viewed|shared|commented)|recommended( for you| stories| reading)?|you (may|might) (also )?(like|be interested in)"
    r"|trending( now| stories)?|top stories|latest( news| stories| headlines)?|editor'?s'? picks?|popular( now| stories)?|read next|what to read next"
    r"|in other news|further reading|also on [\w ]+|more headlines|don'?t miss|elsewhere on [\w ]+|around the web|tags|topics)\s*:?$",
    re.IGNORECASE,
)


def words(line: str) -> list[str]:
    return WORD.findall(line)


_AT_LEAST: dict[int, re.Pattern] = {}


def has_words(line: str, n: int) -> bool:
    """`len(words(line)) >= n`, without building the list: a match that stops at the n-th word
    (possessive, so a line with fewer words fails without backtracking)."""
    pattern = _AT_LEAST.get(n)
    if pattern is None:
        pattern = _AT_LEAST[n] = re.compile(rf"(?:\W*+\w++){{{n}}}")
    return pattern.match(line) is not None


def is_separator(line: str) -> bool:
    """`-----`, `* * *`, `=== Next article ===`: an explicit break between articles."""
    s = line.strip()
    return bool(s) and not s[0].isalnum() and s.count(" ") <= 8 and bool(_SEPARATOR.match(s))


def meta_field(line: str) -> tuple[str, str] | None:
    """`Title: …`, `URL: …` header lines of a dump → (key, value)."""
    m = _META.match(line)
    if not m or len(line) > 400:
        return None
    return m.group(1).lower(), m.group(2).strip()


_LETTER_NOT_KM = re.compile(r"[^\W\d_kmKM]")  # a counter (`1.2k`, `3 M`) has no other letter


def is_widget(line: str) -> bool:
    """Counters, widget tokens (`TT`), lone symbols: lines with no words a reader would read."""
    s = line.strip()
    if len(s) > 3 and _LETTER_NOT_KM.search(s):  # the common case, decided by one regex
        return False
    if len(s) <= 3 and not (s.isalpha() and s.lower() in {"yes", "no", "ok"}):
        return True
    compact = s.replace(",", "").replace(".", "").replace(" ", "").lower()
    if _COUNTER.fullmatch(compact):
        return True
    return not any(c.isalpha() for c in s) and not any(c.isdigit() for c in s)


def _first_word(line: str) -> str | None:
    """The first `\\w+` run: most lines open with a plain word, found without a regex."""
    head = line.partition(" ")[0]
    if head.isalnum():  # all word characters, and a space or the end after it
        return head
    first = WORD.search(line)
    return first.group() if first else None


def is_social(line: str) -> bool:
    first = _first_word(line)
    # every word must be a share-bar word: the first one decides most lines without the slower scan
    return first is not None and first.lower() in _SOCIAL and _all_share_words(line)


def _all_share_words(line: str, low: str | None = None) -> bool:
    """`is_social` past its first-word test (`low`: the line lower-cased, if the caller has it)."""
    if line.count(" ") > 20:
        return False
    low = line.lower() if low is None else low
    second = low.partition(" ")[2].partition(" ")[0]
    if second.isascii() and second.isalpha() and second not in _SOCIAL:
        return False  # a whole word that is no share-bar word: most lines opening "The", "On", "This"
    if not _SOCIAL_HINT.search(low):
        return False
    toks = [t.lower() for t in words(line)]
    return bool(toks) and len(toks) <= 16 and set(toks) <= _SOCIAL and bool(set(toks) & _SOCIAL_CORE)


_NAV_SEPARATORS = ("|", "›", ">", "•", "·", "/")


def is_navigation(line: str) -> bool:
    """`Home | News | World`, `Home > World > Europe`: menus and breadcrumbs."""
    if "|" not in line and "/" not in line and ">" not in line and (
            line.isascii() or "›" not in line and "•" not in line and "·" not in line):
        return False  # most lines: three or six substring tests, not six counts
    for sep in _NAV_SEPARATORS:
        if line.count(sep) < 2:
            continue
        parts = [p.strip() for p in line.split(sep)]
        if len(parts) >= 3 and all(0 < len(words(p)) <= 3 for p in parts):
            return True
    return False


def is_residue(line: str) -> bool:
    """Page furniture that is never article text."""
    if line.count(" ") > 30:  # paragraph-length: only a long menu can be furniture
        return is_navigation(line)
    if is_widget(line) or is_social(line) or is_navigation(line):
        return True
    s = line.strip().lower()
    n = s.count(" ") + 1
    if n <= 24 and _RESIDUE.match(s):
        return True
    if n <= 10 and _PROMPT.match(s):
        return True
    # every footer phrase has one of these words: four substring tests (an `any()` over them cost
    # more than the regex search they spare)
    return n <= 12 and ("rights" in s or "privacy" in s or "terms" in s or "cookie" in s) and bool(_FOOTER.search(s))


# What a line must open with for _RESIDUE (matched on the lower-cased line) or _PROMPT to match
# it, as far as an ASCII first character shows: one of these first words, followed by a character
# that is no word character (or the end), on a line of at most that many spaces; or, for _RESIDUE,
# a digit, "-" or "(". Every alternative of theirs opens so.
_ANY = 23  # is_furniture tries them on lines of fewer than 24 spaces
_RESIDUE_OPENERS = dict.fromkeys((
    "advertisement", "advert", "ad", "ads", "sponsored", "promoted", "paid", "story", "play", "watch", "comment",
    "comments", "show", "view", "leave", "add", "join", "read", "see", "listen", "also", "more", "related",
    "recommended", "back", "top", "next", "previous", "image", "gallery", "enlarge", "zoom", "reuters", "reuter",
    "ap", "afp", "ends", "reporting", "writing", "editing", "additional", "compiled", "copyright"), _ANY) | {"the": 1}
_PROMPT_OPENERS = dict.fromkeys((
    "continue", "scroll", "skip", "close", "loading", "listen", "click", "tap", "follow", "subscribe", "sign", "log",
    "login", "register", "accept", "manage", "we", "cookie"), _ANY)


# For a line opening with an ASCII letter, what its first word (lower-cased) lets is_furniture try:
# (a share bar, the most spaces for the residue regex, for the prompt regex); a word in none of the
# lists (-1: never) rules all three out with one lookup.
_OPENING_RULES = {word: (word in _SOCIAL, _RESIDUE_OPENERS.get(word, -1), _PROMPT_OPENERS.get(word, -1))
                  for word in _SOCIAL | _RESIDUE_OPENERS.keys() | _PROMPT_OPENERS.keys()}


def may_open(line: str, first: str | None, spaces: int, openers: dict[str, int], symbols: str = "") -> bool:
    """False when the way `line` opens (its ASCII first character; then its first word `first`)
    rules out a regex whose alternatives open as `openers` and `symbols` say: that regex, of fifty
    alternatives, took 1 µs a line, and the first word settles most lines."""
    lead = line[0]
    if not lead.isascii():
        return True
    if lead.isalpha():
        return spaces <= openers.get(first.lower(), -1)
    return lead.isdigit() or lead in symbols


def is_furniture(line: str, spaces: int) -> bool:
    """`is_residue(line) or is_separator(line)` for a line as `split_lines` gives it (stripped,
    single spaces) whose spaces are counted: the same tests, each made once, cheapest first, the
    common case of each inline (a capture's every line goes through here)."""
    if spaces > 30:
        return is_navigation(line)
    # is_widget's first test (a line of more than 3 characters with a letter other than k/m is no
    # widget), which the first character settles for most lines
    lead = line[0]
    if not (len(line) > 3 and (lead.isalpha() and lead not in "kmKM" or _LETTER_NOT_KM.search(line))) \
            and is_widget(line):
        return True
    if ("|" in line or "/" in line or ">" in line or not line.isascii() and ("›" in line or "•" in line or "·" in line)) \
            and is_navigation(line):
        return True
    if spaces < 24:
        head = line.partition(" ")[0]
        first = head if head.isalnum() else _first_word(line)
        if lead.isascii() and lead.isalpha():  # most lines: the first word says which rules may match
            rules = _OPENING_RULES.get(first.lower())
            s = None
            if rules is not None:
                social, residue, prompt = rules
                s = line.lower()
                if social and spaces <= 20 and _all_share_words(line, s):
                    return True
                if spaces <= residue and _RESIDUE.match(s):
                    return True
                if spaces < 10 and spaces <= prompt and _PROMPT.match(s):
                    return True
            if spaces < 12:
                s = line.lower() if s is None else s
                return ("rights" in s or "privacy" in s or "terms" in s or "cookie" in s) and bool(_FOOTER.search(s))
            return False  # a separator opens with no letter
        s = line.lower()
        if spaces <= 20 and first is not None and first.lower() in _SOCIAL and _all_share_words(line, s):
            return True
        if may_open(line, first, spaces, _RESIDUE_OPENERS, "-(") and _RESIDUE.match(s):
            return True
        if spaces < 10 and may_open(line, first, spaces, _PROMPT_OPENERS) and _PROMPT.match(s):
            return True
        if spaces < 12 and ("rights" in s or "privacy" in s or "terms" in s or "cookie" in s) and _FOOTER.search(s):
            return True
    return spaces <= 8 and not line[0].isalnum() and bool(_SEPARATOR.match(line))


# The first words (lower-cased) of every alternative of _LIST_HEADER (a test holds the two together)
LIST_HEADER_OPENERS = frozenset((
    "related", "more", "most", "recommended", "you", "trending", "top", "latest", "editor", "editors", "popular",
    "read", "what", "in", "further", "also", "don", "dont", "elsewhere", "around", "tags", "topics"))


def is_list_header(line: str) -> bool:
    return line.count(" ") <= 6 and bool(_LIST_HEADER.match(line.strip()))


def is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line))


def is_byline(line: str, words_at_least: int = 0) -> bool:
    """`By Maria Santos | 1 June 2025`, `Published 3 May 2024`, a date alone. `words_at_least`: a
    lower bound on the line's words, when the caller counted them already (the line scan)."""
    if words_at_least >= 17 or has_words(line, 17) or line.rstrip().endswith((".", "?", "!")) and (
            words_at_least >= 9 or has_words(line, 9)):
        return False
    if _BYLINE.match(line) or _STAMP.match(line):
        return True
    date = _DATE.search(line)
    return bool(date) and not has_words(line, 11) and len(date.group(0)) >= len(line.strip()) * 0.3


def starts_with_dateline(line: str) -> bool:
    """A body paragraph opening with a wire dateline; an all-caps headline with a dash is not one."""
    m = _DATELINE.match(line)
    if not m:
        return False
    place = re.split(r"[,(]", m.group(0))[0]
    return not has_words(place, 5) and has_words(line, 10)


def credit_of(caption: str) -> str:
    """`… Syria. (Security media)` → `Security media`; `Photo: Jane Doe/AP` → `Jane Doe/AP`."""
    m = _CREDIT_TAIL.search(caption)
    if m:
        return m.group(1).strip()
    m = _CREDIT_LINE.match(caption)
    return m.group(3).strip() if m else ""


def is_credit_line(line: str) -> bool:
    return bool(_CREDIT_LINE.match(line)) and not has_words(line, 13)


def is_headline_shape(line: str) -> bool:
    """Short, not a sentence fragment, not furniture: could be a headline (or a crosshead)."""
    s = line.strip()
    if len(s) > 250 or not has_words(line, 2) or has_words(line, 31):
        return False
    if s.endswith((",", ";", ":")) or (s.endswith(".") and not s.endswith("...") and not _ABBREV_END.search(s)):
        return False
    if s[0].islower() or is_bullet(s) or is_residue(s) or is_byline(s) or meta_field(s):
        return False
    return not starts_with_dateline(s)


def is_headline_candidate(line: str) -> bool:
    """Looser than `is_headline_shape`: a cut-off headline (`CASH PORK CALLED MIXED,`) or one in lower
    case. Only taken as a headline with strong evidence (a repeat, a byline right under it)."""
    s = line.strip()
    if len(s) > 250 or not has_words(line, 2) or has_words(line, 31) or is_bullet(s) or is_residue(s) or is_byline(s) \
            or meta_field(s):
        return False
    return not starts_with_dateline(s) and not (s.endswith((".", "?", "!")) and has_words(line, 15))


def is_prose(line: str) -> bool:
    return has_words(line, 15) or (line.rstrip().endswith((".", "?", "!", '"', "”", "’", "'")) and has_words(line, 5))


def is_wrapped(prev: str, cur: str) -> bool:
    """A hard-wrapped paragraph: the previous line stops mid-sentence and this one goes on in lower case."""
    return not prev.endswith((".", "?", "!", ":", '"', "”")) and cur[:1].islower()
