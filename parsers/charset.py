"""How bytes become text: one decision for bodies, headers, file names and
text files alike.

Senders' software declares charsets loosely: `iso-8859-1` for text typed in
Windows-1252 (curly quotes, dashes and `œ` are then C1 control codes),
`gb2312` for GBK, UTF-8 with one stray byte, or nothing at all in an 8-bit
header. The order is the one browsers and mail readers settled on: a byte
order mark, the declared charset read strictly (as its superset when the
label is known to be used for one), UTF-8, UTF-8 with a stray byte replaced
when everything else in it is UTF-8, a statistical detector for scripts
Windows-1252 cannot show, and Windows-1252, which never fails.
"""

from __future__ import annotations

import codecs
import re

#: Labels that real mail uses for a larger charset than the one they name
#: (the WHATWG Encoding Standard maps the same labels the same way).
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: UTF-8 with stray bytes is still UTF-8 when at least this many characters
#: decode for each byte that does not.
_UTF8_MAJORITY = 4
#: Below this many non-ASCII bytes a detector guesses (a name, a subject):
#: Windows-1252 is then the better bet for French mail.
_DETECTOR_MIN_BYTES = 24


def _latin1_for_undefined(error: UnicodeDecodeError) -> tuple[str, int]:
    """Bytes that Windows-1252 leaves undefined (0x81, 0x8D...) read as Latin-1."""
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("bilan-latin1", _latin1_for_undefined)


def canonical_charset(charset: str | None) -> str | None:
    """The codec to read a declared charset with (its superset when there is one), or None."""
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


def wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 when the bytes say so: a byte order mark, or, without
    one, ASCII text with a NUL in every other byte (Windows "Unicode" text)."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            return encoding
    head = data[:2048]
    even, odd = head[0::2], head[1::2]
    if len(head) < 8:
        return None
    if odd.count(0) >= 0.9 * len(odd) and 0 not in even:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and 0 not in odd:
        return "utf-16-be"
    return None


def message_in_8bit(raw: bytes) -> bytes:
    """A whole message file written in UTF-16 or UTF-32 (a Windows program's
    "Unicode" text) as the message it holds, in UTF-8; any other message as
    it is. A source that made line ends CRLF byte-wise put a CR before each
    LF byte, half of a wide character: those are taken back first."""
    if b"\x00" not in raw[:64]:
        return raw
    data = raw.replace(b"\r\n", b"\n")
    wide = wide_encoding(data)
    if wide is None:
        return raw
    width = 4 if "32" in wide else 2
    return data[: len(data) // width * width].decode(wide, "replace").lstrip("\ufeff").encode("utf-8")


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode bytes of a declared or unknown charset; never fails. Text that
    holds C1 control codes after that (UTF-8 that was Windows-1252 text read
    as Latin-1 and saved again: "1990â\x80\x9391") is repaired when ftfy is
    sure: no writer means a C1 control code."""
    text = _decoded(data, charset)
    return repair(text) if _C1.search(text) else text


_C1 = re.compile("[\x80-\x9f]")


def _decoded(data: bytes, charset: str | None) -> str:
    wide = wide_encoding(data) if b"\x00" in data[:2048] else None
    if wide is not None:
        width = 4 if "32" in wide else 2
        return data[: len(data) // width * width].decode(wide, "replace").lstrip("\ufeff")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")  # a UTF-8 byte order mark settles it
    declared = canonical_charset(charset)
    for encoding in (declared, "utf-8"):
        if encoding:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    if declared in (None, "utf-8") and _mostly_utf8(data):
        return data.decode("utf-8", "replace")
    guess = _detected(data)
    if guess is not None:
        return guess
    return windows_1252(data)


def windows_1252(data: bytes) -> str:
    return data.decode("cp1252", "bilan-latin1")


def _mostly_utf8(data: bytes) -> bool:
    text = data.decode("utf-8", "replace")
    stray = text.count("\ufffd")
    decoded = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
    return decoded >= _UTF8_MAJORITY * max(stray, 1)


def _detected(data: bytes) -> str | None:
    """What charset-normalizer reads, when Windows-1252 would not do: a script
    other than Latin (Cyrillic, Greek, CJK...). Latin text stays Windows-1252."""
    if sum(1 for byte in data if byte > 0x7F) < _DETECTOR_MIN_BYTES:
        return None
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    letters = [c for c in text if c.isalpha() and ord(c) > 0x7F]
    if not letters or sum(1 for c in letters if ord(c) < 0x250) >= len(letters) / 2:
        return None  # Latin letters: the single-byte codecs differ only on a few
    return text


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t\r\n]+(?==\?)")


def decode_header_text(value: str) -> str:
    """A header value as the email package keeps it (8-bit bytes escaped as
    surrogates, RFC 2047 encoded words intact) as text: raw 8-bit bytes by
    `decode_text`, each encoded word by its own charset read the same way."""
    raw = value.encode("utf-8", "surrogateescape")
    text = decode_text(raw) if not raw.isascii() else value
    text = _BETWEEN_WORDS.sub("", text)
    return repair(_ENCODED_WORD.sub(_decoded_word, text))


def _decoded_word(match: re.Match[str]) -> str:
    charset, coding, payload = match.group(1).split("*", 1)[0], match.group(2).upper(), match.group(3)
    try:
        if coding == "B":
            data = codecs.decode(payload.encode("ascii") + b"=" * (-len(payload) % 4), "base64")
        else:
            data = codecs.decode(payload.replace("_", " ").encode("ascii"), "quopri")
    except (ValueError, UnicodeEncodeError):
        return match.group(0)
    return decode_text(data, charset)


#: What every pattern of ftfy's mojibake test (`ftfy.badness.BADNESS_RE`)
#: needs: a C1 control character, `Œ`/`œ`, `Ã`/`Â` (UTF-8 lead bytes read as
#: Windows-1252), or two non-ASCII characters side by side. Text without any
#: is not mojibake to ftfy, which then need not even be imported.
_MAY_BE_MOJIBAKE = re.compile(r"[\x80-\x9fŒœÃÂ]|[^\x00-\x7f]{2}")


def may_be_mojibake(text: str) -> bool:
    """A cheap test that lets through all that `has_mojibake` may find."""
    return _MAY_BE_MOJIBAKE.search(text) is not None


def has_mojibake(text: str) -> bool:
    """True when ftfy is sure the text was decoded with the wrong charset."""
    if not may_be_mojibake(text):
        return False
    from ftfy.badness import is_bad

    return is_bad(text)


def repair(text: str) -> str:
    """Undo a wrong decoding made before the text reached us (UTF-8 read as
    Windows-1252 by the sender's software), only when ftfy is sure of it."""
    if not has_mojibake(text):
        return text
    from ftfy import fix_encoding

    return fix_encoding(text)
