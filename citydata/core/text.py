"""Text as people, spreadsheets and Markdown read it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def join_words(items: list[str], word: str = "and", values: bool = False) -> str:
    """'a, b or c'. A list of `values` is 'a; b or c' when one of them holds a comma
    ("Armagh City, Banbridge and Craigavon; Belfast or Derry City and Strabane")."""
    if len(items) <= 1:
        return "".join(items)
    between = "; " if values and any("," in item for item in items[:-1]) else ", "
    return between.join(items[:-1]) + f" {word} " + items[-1]


# ---- spreadsheets -------------------------------------------------------------------------------

# Characters a spreadsheet, or a person, takes for the ones that start a formula: every
# character whose compatibility form (NFKC) starts with =, +, - or @ (full-width ＝＋－＠, small
# ﹢﹣﹦﹫, super- and subscript signs, ⩵), and look-alikes NFKC leaves alone (− minus sign, heavy
# plus and minus, modifier letter plus and minus). tests/test_exports.py checks the NFKC part
# against the whole of Unicode.
FORMULA_LOOKALIKES = {
    "=": "\uff1d\ufe66\u207c\u208c\u2a75\u2a76",
    "+": "\uff0b\ufe62\u207a\u208a\ufb29\u2795\u02d6",
    "-": "\uff0d\ufe63\u2212\u2796\u02d7",
    "@": "\uff20\ufe6b",
}
# What a formula can hide behind: white space (spaces and line feeds: LibreOffice's "Trim
# spaces" and Google Sheets' import take them off, and the formula runs), control characters,
# non-ASCII spaces and format characters (bidirectional controls, zero-width characters, the
# byte-order mark, tags): Unicode categories Cc, Zs, Zl, Zp and Cf, tab and CR aside (they start
# a formula themselves). Kept as ranges so that Python and DuckDB (exports._FORMULA_SQL) test
# exactly the same characters; tests/test_exports.py checks them against unicodedata.
INVISIBLE_RANGES = (
    (0x00, 0x08), (0x0A, 0x0C), (0x0E, 0x20), (0x7F, 0xA0), (0xAD, 0xAD), (0x600, 0x605),
    (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2),
    (0x1680, 0x1680), (0x180E, 0x180E), (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x2064),
    (0x2066, 0x206F), (0x3000, 0x3000), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
FORMULA_LEADS = "".join(FORMULA_STARTS) + "".join(FORMULA_LOOKALIKES.values())


def formula_pattern(escape: Callable[[int], str]) -> str:
    """The regular expression (anchored, without the anchor) of text a spreadsheet would run:
    invisible characters, then a formula start or a look-alike. `escape` writes one code point
    in the dialect at hand (Python's re, or RE2 in DuckDB)."""
    invisible = "".join(
        escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in INVISIBLE_RANGES
    )
    leads = "".join(escape(ord(c)) for c in FORMULA_LEADS)
    return f"[{invisible}]*[{leads}]"


_FORMULA = re.compile(formula_pattern(lambda cp: f"\\U{cp:08x}"))


def starts_formula(value: Any) -> bool:
    """True for text a spreadsheet could run: starting, after any spaces, line breaks or
    invisible characters, with =, +, -, @, tab or CR, or a character that imitates one of the
    first four."""
    return isinstance(value, str) and _FORMULA.match(value) is not None


def neutralise_cell(value: Any) -> Any:
    """The value, with a leading apostrophe when it is text a spreadsheet would run."""
    if starts_formula(value):
        return "'" + value
    return value


# ---- Markdown -----------------------------------------------------------------------------------

# Every ASCII punctuation character may be backslash-escaped in CommonMark and then shows as
# itself. These are the ones Markdown, GitHub's extensions and Streamlit give a meaning to:
# escaping them leaves no emphasis, link, image, heading, list, quote, table, code, HTML, entity,
# LaTeX ($) or Streamlit directive (:red[...], :material/icon:). Commas, quotes and the like stay.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&@=^])")
# GitHub-flavoured Markdown turns bare addresses into links by searching the text after escapes
# are resolved (www.x, http(s)://x, mailto:, name@host), and Streamlit turns :name: into emoji
# and icons. A word joiner (U+2060, invisible, no line break) after 'www', after every ':' and
# after every '@' breaks those patterns (and any directive the escapes left) and changes
# nothing a reader sees.
_WORD_JOINER = "\u2060"
_WWW = re.compile(r"(?i)(www)(?=\\?\.)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MARKDOWN_LIMIT = 2_000  # characters of one piece of user text shown in a Markdown widget


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with '…' when it was cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def utf16_units(text: str) -> int:
    """How many UTF-16 code units `text` takes: what Excel counts (a character outside the
    Basic Multilingual Plane, such as an emoji, is two)."""
    return len(text.encode("utf-16-le")) // 2


def shorten_utf16(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units, ending with '…' when it was cut. The
    cut falls between characters, so a surrogate pair (an emoji) is never split."""
    if len(text) * 2 <= limit or utf16_units(text) <= limit:  # (at most two units a character)
        return text
    budget = max(limit - 1, 0)  # '…' is one unit
    kept = text.encode("utf-16-le")[: 2 * budget].decode("utf-16-le", errors="ignore")
    return kept + "…"


def markdown_literal(value: Any, limit: int | None = MARKDOWN_LIMIT) -> str:
    """Text for any widget that renders Markdown (st.markdown, st.caption, st.warning,
    st.success, st.info, st.error, button and tab labels...), shown exactly as written.

    One line (line breaks and control characters become spaces, so no heading, list or
    table can start), at most `limit` characters, every Markdown and Streamlit directive
    character escaped, and bare web and email addresses defused so they are not made links.
    """
    text = "" if value is None else str(value)
    text = " ".join(_CONTROL.sub(" ", text).split(" ")).strip()
    text = re.sub(r" {2,}", " ", text)
    if limit is not None:
        text = shorten(text, limit)
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    text = _WWW.sub("\\1" + _WORD_JOINER, text)
    text = text.replace("\\:", "\\:" + _WORD_JOINER).replace("\\@", "\\@" + _WORD_JOINER)
    return text


def file_stem(text: str, fallback: str = "file", limit: int = 40) -> str:
    """`text` as part of a file's name: lower case, letters and digits joined by hyphens
    ("Armagh City, Banbridge and Craigavon" -> "armagh-city-banbridge-and-craigavon"), never a
    comma, apostrophe or slash; `fallback` when nothing is left."""
    kept = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in kept.split("-") if part)[:limit].strip("-") or fallback
