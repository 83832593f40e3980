"""Turn the bytes of a text file into text, picking the encoding that gives the right letters.

Order: a byte-order mark decides (UTF-8, UTF-16); then strict UTF-8 (almost every modern file);
then the two single-byte encodings spreadsheets save in England: Windows-1252 (Excel on Windows)
and Mac Roman (older Excel on a Mac). Both decode almost any bytes, and on a short file
charset-normalizer happily names a Central European or Icelandic code page instead, so the choice
between them is made by looking at the letters each gives: 'Café' and 'Children’s' are plausible,
'CafŽ', 'CafÈ' and 'ChildrenÕs' are not. charset-normalizer's measure of chaos breaks ties.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from citydata.ingest.report import IngestError

WESTERN = ("cp1252", "mac_roman")
_SAMPLE = 256 * 1024
# Unicode's control (Cc), surrogate (Cs) and private-use (Co) characters, less tab, line feed,
# carriage return and form feed: binary data that happened to decode.
_BINARY = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
_LETTERS = ("Ll", "Lu", "Lo", "Mn")
_AFTER_LETTER_OK = set("’”…®™©")
# Letters and signs one of the two encodings makes of the other's accents; rare in English text.
_RARE = set("šžŠŽƒˆ˜‹›ŒœŸªº¿¡¬√≈∆«»÷◊ÿ⁄ﬁﬂıˇ˘˙˚¸˝˛¯∂∑∏π∫Ω")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def decode(content: bytes) -> tuple[str, str]:
    """(text, encoding name) for the bytes of a text file; IngestError when it is not text."""
    if content.startswith(codecs.BOM_UTF8):
        return _strict(content[3:], "utf-8", "UTF-8"), "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(content, "utf-16", "UTF-16"), "utf-16"
    if b"\x00" in content[:_SAMPLE]:
        raise IngestError(
            "This file is not a text file (it contains binary data): upload a CSV or an Excel "
            "(.xlsx) file."
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        _check_text(text)
        return text, "utf-8"
    text, encoding = _western(content)
    _check_text(text)
    return text, encoding


def utf8_head(content: bytes, size: int) -> tuple[str, str] | None:
    """(the text of the first `size` bytes, 'utf-8' or 'utf-8-sig') when they read as UTF-8 text
    as `decode` would read them; None when `decode` must look at the whole file.

    For a reader that checks the rest itself (DuckDB refuses bytes that are not UTF-8): the
    whole file is never held as text."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    bom = content.startswith(codecs.BOM_UTF8)
    head = content[3 if bom else 0 : size]
    if b"\x00" in head[:_SAMPLE]:
        return None
    try:  # (a letter cut at the end of the head waits for bytes that are not read)
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(content) <= size)
    except UnicodeDecodeError:
        return None
    try:
        _check_text(text)
    except IngestError:
        return None
    return text, "utf-8-sig" if bom else "utf-8"


def _strict(content: bytes, codec: str, name: str) -> str:
    try:
        text = content.decode(codec)
    except UnicodeDecodeError as exc:  # where, as a line: a person cannot find byte 683
        line = content[: exc.start].decode(codec, errors="replace").count("\n") + 1
        raise IngestError(
            f"This file is marked as saved in {name} (the way its letters are stored), but line "
            f"{line:,} is not: the file may be damaged, or was changed by a program that stores "
            "letters another way. Open it in Excel, save it again as 'CSV UTF-8' and upload that."
        ) from None
    _check_text(text)
    return text


def _check_text(text: str) -> None:
    """Refuse text that is mostly control characters: binary data that happened to decode."""
    sample = text[:_SAMPLE]
    bad = sum(1 for _ in _BINARY.finditer(sample))
    if bad > max(2, len(sample) // 100):
        raise IngestError(
            "This file is not a text file (it contains binary data): upload a CSV or an Excel "
            "(.xlsx) file."
        )


def implausible(text: str) -> int:
    """How many non-ASCII characters look like a wrong decoding (fewer is more plausible)."""
    count = 0
    for match in _NON_ASCII.finditer(text):
        i = match.start()
        c = text[i]
        before = text[i - 1] if i else " "
        category = unicodedata.category(c)
        if c in _RARE:
            count += 1
        if category == "Cc":
            count += 3  # a C1 control character: never in a real register
        elif category == "Lu" and before.islower():
            count += 1  # 'CafŽ', 'ChildrenÕs', 'RenÈe'
        elif category not in _LETTERS and before.isalpha() and c not in _AFTER_LETTER_OK:
            count += 1  # a symbol stuck to a word: 'Zo‘', 'M¸ller', 'Zˆe'
    return count


def _western(content: bytes) -> tuple[str, str]:
    candidates: dict[str, str] = {}
    for name in WESTERN:
        try:
            candidates[name] = content.decode(name)
        except UnicodeDecodeError:
            continue
    if not candidates:  # not reached: mac_roman decodes every byte
        return content.decode("latin-1"), "latin-1"
    scores = {name: implausible(text) for name, text in candidates.items()}
    best = min(scores.values())
    tied = [name for name in candidates if scores[name] == best]
    if len(tied) > 1:
        chaos = _chaos(content[:_SAMPLE], tied)
        tied.sort(key=lambda name: chaos.get(name, 1.0))
    return candidates[tied[0]], tied[0]


def _chaos(content: bytes, names: list[str]) -> dict[str, float]:
    """charset-normalizer's chaos (0 = clean) for each named encoding it could decode with."""
    found: dict[str, float] = {}
    for match in from_bytes(content, cp_isolation=names, explain=False):
        found[codecs.lookup(match.encoding).name] = match.chaos
    return {name: found.get(codecs.lookup(name).name, 1.0) for name in names}
