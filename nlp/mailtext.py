"""The parts of an e-mail body that say something about its sender: the text
they wrote (not the history they quote) and their signature block."""

from __future__ import annotations

import re

from bilan.nlp.text import fold
from bilan.parsers.message import Envelope

#: Lines where quoted history starts (Outlook, Thunderbird, Gmail, Zimbra, in French and English).
_HISTORY = re.compile(
    r"^\s*(?:-{2,}\s*(?:message d.origine|original message|message transf[eé]r[eé]|forwarded message)\s*-{2,}"
    r"|de\s*:\s.+|from\s*:\s.+|le .{5,80} a [eé]crit\s*:|on .{5,80} wrote\s*:|>.*)\s*$",
    re.IGNORECASE,
)
#: The same headers inside a line: unambiguous ones only (a dashed separator,
#: "Le <date> … a écrit :", a "De :" followed by "Envoyé :" or "Date :").
_HISTORY_INLINE = re.compile(
    r"-{2,}\s*(?:message d.origine|original message|message transf[eé]r[eé]|forwarded message)\s*-{2,}"
    r"|\b(?:le|on)\s.{0,40}?\d.{0,100}?\s(?:a [eé]crit|wrote)\s*:"
    r"|\b(?:de|from)\s*:\s[^:]{3,120}?\s(?:envoy[eé]|sent|date)\s*:",
    re.IGNORECASE,
)
#: Closing formulas after which the signature comes.
CLOSINGS = (
    "cordialement", "bien cordialement", "tres cordialement", "bien a vous", "salutations", "avec mes salutations",
    "avec nos salutations", "sincerement", "merci par avance", "avec mes remerciements", "avec nos excuses",
    "respectueusement", "bonne journee", "bien a toi", "amities", "cdt", "cdlt", "sinceres salutations",
    "meilleures salutations", "salutations distinguees", "bonne fin de journee", "belle journee", "bonne soiree",
    "tres bonne journee", "merci d avance",
)
#: What a phone or a mail client appends: "Envoyé de mon iPhone", "Sent from my Galaxy", "Obtenir Outlook pour Android".
_CLIENT_FOOTER = re.compile(
    r"^(envoye|envoi|sent|get|obtenir|telecharge[rz]?)\b.{0,40}\b(iphone|ipad|android|ios|mobile|smartphone|"
    r"samsung|galaxy|outlook|blackberry|huawei|appareil|telephone|tablette|phone)\b"
)
#: Ways to reach someone: a phone number, an address, a web site.
_REACH = re.compile(r"(?:\+33|\b0\d)(?:[\s.\-]?\d{2}){4}\b|@[\w\-]+\.|\bwww\.|https?://|\b\d{5}\s+[A-Z]")
#: Words of a sentence, not of a signature: subject pronouns and conjugated auxiliaries.
_SENTENCE_WORDS = re.compile(
    r"\b(je|j|tu|il|elle|on|nous|vous|ils|elles|est|sont|ai|as|avons|avez|ont|etait|sera|serons|merci)\b"
)
#: What separates the parts of a signature written on one line.
#: A middle dot inside a word is inclusive writing ("délégué·e"), not a separator.
_PARTS = re.compile(r"\s[/|•·–—-]\s|\s*[|•]\s*|(?<![^\W\d_])·\s*|·(?![a-zà-ÿ]{1,5}\b)\s*")


def _loose(phrase: str) -> str:
    """A folded phrase as a pattern that matches it with its accents and apostrophes."""
    letters = {"e": "[eéèêë]", "a": "[aàâä]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "c": "[cç]", " ": r"[\s'’\-]+"}
    return "".join(letters.get(char, re.escape(char)) for char in phrase)


#: The end of a sentence inside a line (not an initial: "M. Dupont").
_SENTENCE_END = re.compile(r"(?<=\w\w[.!?])\s+(?=[A-ZÀÂÉÈÊÎÔÛÇ])")
#: A closing formula or a client's footer inside a line (see `sender_lines`).
_RUN_ON = re.compile(
    r"(?i:(?P<closing>(?:" + "|".join(_loose(c) for c in sorted(CLOSINGS, key=len, reverse=True)) + r")\b)"
    r"|(?P<footer>(?:envoy[eé]|sent|obtenir|t[eé]l[eé]charge[rz]?)\b.{0,40}?\b(?:iphone|ipad|android|ios|mobile|"
    r"smartphone|samsung|galaxy|outlook|blackberry|huawei|appareil|t[eé]l[eé]phone|tablette|phone)\b))"
)
_ADDRESS = re.compile(r"<?([\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)>?")


def own_text(text: str) -> str:
    """The text the sender wrote: everything before the quoted history, also
    when the history's header shares a paragraph with the sender's last words
    (a body whose line breaks were lost)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index > 0 and _HISTORY.match(line):
            return "\n".join(lines[:index])
        inline = _HISTORY_INLINE.search(line)
        if inline and inline.start() > 0:
            return "\n".join([*lines[:index], line[: inline.start()].rstrip()])
    return text


def sender_lines(text: str) -> list[str]:
    """The lines of the sender's own text, without the lines their phone or
    mail client added. A paragraph whose line breaks were lost ("… le bilan.
    Cordialement, Agnès Giraud DDETS 91") is cut again before its closing
    formula, around a client's footer and between sentences, so that the
    signature stands on lines of its own."""
    lines = []
    for line in own_text(text).splitlines():
        for sentence in _SENTENCE_END.split(line):
            lines += [piece.strip() for piece in _split_run_on(sentence) if piece.strip()]
    return [line for line in lines if not is_client_footer(line)]


def _split_run_on(line: str) -> list[str]:
    cuts = set()
    for match in _RUN_ON.finditer(line):
        start = match.start()
        before = line[:start].rstrip()
        if start > 0 and (before.endswith((".", "!", "?", ",", ";", ":", "…")) or line[start].isupper()):
            cuts.add(start)
            if match.group("footer"):
                cuts.add(match.end())
    if not cuts:
        return [line]
    bounds = [0, *sorted(cuts), len(line)]
    return [line[a:b] for a, b in zip(bounds, bounds[1:])]


def signature_block(text: str, max_lines: int = 10) -> str:
    """The sender's own signature: the lines after the last closing formula
    ("Cordialement,"), or else the lines that close the text and read as a
    signature (a name, a title, a service, a phone: not sentences), however
    they are laid out. Lines a phone or a mail client adds ("Envoyé de mon
    iPhone") are left out, wherever they stand."""
    lines = sender_lines(text)
    for index in range(len(lines) - 1, -1, -1):
        folded = fold(lines[index]).rstrip(" ,.!")
        tail = _after_closing(lines[index])
        if tail is not None:
            rest = lines[index + 1 :]
            if rest:
                return "\n".join(rest[:max_lines])
            # "Cordialement, J. Dupont" on one line, or the signature above
            # a closing that ends the text ("... DDETS 91\nBonne journée")
            return tail or "\n".join(_closing_lines(lines[:index], max_lines))
        if folded == "--" or folded == "-- ":
            return "\n".join(lines[index + 1 : index + 1 + max_lines])
    return "\n".join(_closing_lines(lines, max_lines))


def _after_closing(line: str) -> str | None:
    """What follows the closing formula that opens `line` ("" for a closing
    alone), or None when the line is no closing: a long line that merely
    starts like one is a sentence, unless the rest reads as a signature."""
    folded = fold(line).rstrip(" ,.!")
    if not folded.startswith(CLOSINGS):
        return None
    opening = _RUN_ON.match(line)
    rest = line[opening.end() :].strip(" ,.!") if opening and opening.group("closing") else ""
    if len(folded) < 60 or not rest or is_signature_line(rest):
        return rest
    return None


def is_closing(line: str) -> bool:
    """A closing formula on its own, or followed by the sender's name
    ("Cordialement, J. Dupont"), not a sentence that starts like one
    ("Merci d'avance de nous indiquer si…")."""
    folded = fold(line).rstrip(" ,.!")
    closing = next((c for c in CLOSINGS if folded.startswith(c)), None)
    if closing is None:
        return False
    rest = folded[len(closing) :].strip(" ,.!")
    return not rest or ("," in line and len(rest.split()) <= 4 and "?" not in line)


def is_client_footer(line: str) -> bool:
    """A line the sender's phone or mail client wrote, not the sender."""
    return bool(_CLIENT_FOOTER.match(fold(line))) and len(line) < 80


def is_signature_line(line: str) -> bool:
    """A line that names, titles or reaches someone rather than says
    something: short parts (one line may hold a whole signature, its parts
    separated by `/`, `|`, `-`), no sentence (no subject pronoun or
    conjugated auxiliary, no full stop closing a long line, no question)."""
    folded = fold(line)
    words = folded.split()
    if not words or line.rstrip().endswith("?"):
        return False
    if len(words) >= 4 and _SENTENCE_WORDS.search(folded):
        return False  # "pour toute urgence, vous pouvez écrire à pref-pv@…" is a sentence
    if _REACH.search(line):
        return True
    if len(words) >= 8 and line.rstrip().endswith((".", ":", ";")):
        return False
    parts = [part for part in _PARTS.split(line) if part.strip()]
    return all(len(part.split()) <= MAX_PART_WORDS or _content_words(part) <= MAX_PART_CONTENT_WORDS
               for part in parts)


#: A signature's part holds at most this many words, or this many besides
#: articles and prepositions: the state's services have long official names
#: ("Direction départementale de l'emploi, du travail, des solidarités et de la
#: protection des populations"), and a paragraph whose line breaks were lost
#: puts the sender's name before it.
MAX_PART_WORDS = 18
MAX_PART_CONTENT_WORDS = 11
_FUNCTION_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "pour"})


def _content_words(text: str) -> int:
    words = [word.strip(",;.") for word in re.split(r"[\s'’]+", fold(text))]
    return sum(1 for word in words if word and word not in _FUNCTION_WORDS)


def split_signature_parts(line: str) -> list[str]:
    """The parts of a signature written on one line ("Agnès Giraud / Directrice adjointe / DDETS")."""
    return [part.strip() for part in _PARTS.split(line) if part.strip()] or [line]


def _closing_lines(lines: list[str], max_lines: int) -> list[str]:
    """The run of signature lines that ends the text."""
    start = len(lines)
    while start > 0 and len(lines) - start < max_lines and is_signature_line(lines[start - 1]):
        start -= 1
    return lines[start:]


def sender_address(envelope: Envelope) -> str | None:
    """The sender's address, even when a malformed From header defeated the
    parser (an unquoted "(Sous-préfet...)" comment folded over two lines):
    then the address in angle brackets, or the Return-Path."""
    if envelope.sender_address:
        return envelope.sender_address.lower()
    for header in ("from", "sender", "reply-to", "return-path"):
        match = _ADDRESS.search(envelope.headers.get(header, ""))
        if match:
            return match.group(1).lower()
    return None


def sender_display_name(envelope: Envelope) -> str:
    if envelope.sender_name:
        return envelope.sender_name
    raw = envelope.headers.get("from", "")
    return _ADDRESS.sub("", raw).strip(' "')
