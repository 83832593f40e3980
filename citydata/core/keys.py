"""Text folded into lookup keys: one fold per kind of key, all built on `fold`.

- `fold`: names (vendor spellings, the alias table's keys) and the base of the others; accents
  and full-width letters count as the plain letters since schema version 14;
  `fold_sql` is the same in DuckDB (a test checks them against each other);
- `fold_header`: a column heading, without its bracketed notes ('Value (£)' -> 'value');
- `fold_words`: service areas and hosting words, apostrophes dropped ("Children's" ->
  'childrens');
- `fold_spacing`: a system's name, and what recognises a record across two snapshots: only
  case and spacing ignored ("MOSAIC ", "Mosaic" -> 'mosaic'), since any other difference may be
  another product ("Mosaic 2"); `fold_spacing_sql` is the same in DuckDB (a test checks them).

Authority names have their own fold in citydata.core.authorities (accents and a leading 'the' too).
"""

from __future__ import annotations

import re
import unicodedata

_NOT_LETTER_OR_DIGIT = re.compile(r"[^A-Za-z0-9]+")
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]")
_APOSTROPHES = str.maketrans("", "", "'\u2019")

# Full-width forms ("Ｃｉｖｉｃａ", typed with an East Asian keyboard) are their ASCII letters.
_FULL_WIDTH = "".join(map(chr, range(0xFF01, 0xFF5F)))
_ASCII = "".join(map(chr, range(0x21, 0x7F)))
# Latin letters that are not a letter plus an accent, so that taking accents off leaves them:
# read as the letters they are written for ("Ørsted" -> 'orsted', "Straße" -> 'strasse').
_ONE_LETTER = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D"}
_ONE_LETTER |= {"ı": "i", "\u3000": " "}  # (dotless i; the ideographic space)
_LETTERS = {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th"}
_LETTERS |= {"Þ": "TH", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl"}
_AS_LETTERS = str.maketrans(dict(zip(_FULL_WIDTH, _ASCII, strict=True)) | _ONE_LETTER | _LETTERS)


def fold(text: str | None) -> str:
    """The key two spellings share when they differ only in case, accents, spacing or
    punctuation, or are written in full-width letters.

    Accents come off (as DuckDB's `strip_accents` takes them off: every combining mark), the
    letters in `_LETTERS` read as their plain spelling, ASCII letters and digits survive, '&'
    reads as 'and', and everything else is a word break.

    >>> fold("  CAPITA  Business-Services Ltd.")
    'capita business services ltd'
    >>> fold("Tŷ Cívica Ｌｔｄ")
    'ty civica ltd'
    """
    text = text or ""
    if not text.isascii():  # (every letter the tables read is outside ASCII)
        decomposed = unicodedata.normalize("NFD", text.translate(_AS_LETTERS))
        text = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return _NOT_LETTER_OR_DIGIT.sub(" ", text.replace("&", " and ")).lower().strip()


def fold_sql(expr: str) -> str:
    """`fold` as a DuckDB expression over `expr` (an allow-listed column, never user text).

    A test checks it against `fold` for every character of Unicode's first three planes.
    (`strip_accents` ends a text at a NUL character, so NULs are word breaks first.)"""
    expr = f"replace({expr}, chr(0), ' ')"
    for letter, spelling in _LETTERS.items():
        expr = f"replace({expr}, '{letter}', '{spelling}')"
    source = _FULL_WIDTH + "".join(_ONE_LETTER)
    target = _ASCII + "".join(_ONE_LETTER.values())
    expr = f"strip_accents(translate({expr}, {_quoted(source)}, {_quoted(target)}))"
    return f"trim(lower(regexp_replace(replace({expr}, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def fold_header(header: object) -> str:
    """A column heading's key: no bracketed notes or punctuation.

    >>> fold_header("Annual Value (£) ")
    'annual value'
    """
    return fold(_BRACKETED.sub(" ", str(header).lower()))


def fold_words(text: str) -> str:
    """A service-area or hosting word's key: `fold` with apostrophes dropped.

    >>> fold_words("Children’s Services & Education")
    'childrens services and education'
    """
    return fold(text.lower().translate(_APOSTROPHES))


# What str.split takes for a space, as RE2 (DuckDB's regular expressions) writes it: its \s is
# ASCII only, \pZ the Unicode spaces, and Python also splits at \v, \x1c-\x1f and \x85.
_SPACES_RE2 = r"[\s\pZ\x{0b}\x{1c}-\x{1f}\x{85}]+"
# Letters str.lower reads otherwise than DuckDB's lower: 'İ' (Python: 'i' and a dot above) and
# 'Σ' (Python: 'ς' at the end of a word), written first as DuckDB lowers them.
_AS_DUCKDB_LOWERS = str.maketrans({"\u0130": "i", "\u03a3": "\u03c3"})


def fold_spacing(text: str | None) -> str:
    """A name's key ignoring case and spacing only: lower case, spaces (any Unicode space)
    collapsed to one, none at the ends.

    >>> fold_spacing("  MOSAIC   Case\u00a0Management ")
    'mosaic case management'
    """
    text = text or ""
    if not text.isascii():
        text = text.translate(_AS_DUCKDB_LOWERS)
    return " ".join(text.split()).lower()


def fold_spacing_sql(expr: str) -> str:
    """`fold_spacing` as a DuckDB expression over `expr` (an allow-listed column, never user
    text). Folding takes a regular expression per value: fold distinct spellings (a few
    thousand), not every record."""
    return f"lower(trim(regexp_replace({expr}, '{_SPACES_RE2}', ' ', 'g')))"
