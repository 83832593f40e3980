"""Text folded into lookup keys: one fold per kind of key, all built on `fold`.

- `fold`: names (vendor spellings, the alias table's keys) and the base of the others;
  `fold_sql` is the same in DuckDB (a test checks them against each other);
- `fold_header`: a column heading, without its bracketed notes ('Value (£)' -> 'value');
- `fold_words`: service areas and hosting words, apostrophes dropped ("Children's" ->
  'childrens').

Authority names have their own fold in citydata.core.authorities (accents and a leading 'the' too);
records are recognised across two snapshots ignoring only case and spacing (citydata.store.changes),
since any other difference is a change worth showing.
"""

from __future__ import annotations

import re

_NOT_LETTER_OR_DIGIT = re.compile(r"[^A-Za-z0-9]+")
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]")
_APOSTROPHES = str.maketrans("", "", "'\u2019")


def fold(text: str | None) -> str:
    """The key two spellings share when they differ only in case, spacing or punctuation.

    ASCII letters and digits survive, '&' reads as 'and', everything else is a word break.

    >>> fold("  CAPITA  Business-Services Ltd.")
    'capita business services ltd'
    """
    text = (text or "").replace("&", " and ")
    return _NOT_LETTER_OR_DIGIT.sub(" ", text).lower().strip()


def fold_sql(expr: str) -> str:
    """`fold` as a DuckDB expression over `expr` (an allow-listed column, never user text)."""
    return f"trim(lower(regexp_replace(replace({expr}, '&', ' and '), '[^A-Za-z0-9]+', ' ', 'g')))"


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
