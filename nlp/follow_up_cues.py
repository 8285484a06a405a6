"""Follow-ups: a message that replaces an earlier one ("annule et remplace",
"version corrigée", "erratum", a re-send of a broken file) or completes it
("en complément de notre envoi du 6 décembre", "annexe manquante", a copy of
a file without its password).

This module only reads what the message says of itself: the kind of
follow-up, the date it cites for the earlier message, and the Message-IDs it
replies to. Which earlier message it is can only be decided against the
others, after loading (`storage/follow_up_links.py`), so that the answer does not
depend on the order in which messages are processed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bilan.nlp.mailtext import own_text
from bilan.nlp.modality import parse_french_date
from bilan.nlp.text import fold
from bilan.parsers.message import ParsedMessage

SUPERSEDES, COMPLEMENTS = "supersedes", "complements"

_SUPERSEDES_CUES = (
    "annule et remplace", "annule et remplacent", "annulent et remplacent", "version corrigee", "version modifiee",
    "version rectifiee", "version mise a jour", "erratum", "rectificatif", "corrigendum", "nouvel envoi",
    "remplace la version", "remplace le precedent", "remplace notre precedent", "remplace l envoi",
    "fichier endommage", "fichier corrompu", "ne s ouvrait pas", "illisible", "a nouveau notre contribution",
    "renvoi de notre contribution",
)
_COMPLEMENTS_CUES = (
    "en complement de notre", "en complement de mon", "en complement du precedent", "en complement de l envoi",
    "pour completer notre", "complement a notre", "annexe manquante", "annexes manquantes", "annexe s manquante s",
    "piece manquante", "pieces manquantes", "oubli", "avions oublie", "ai oublie", "sans mot de passe",
    "version non protegee", "sans protection",
)
_SUBJECT_SUPERSEDES = re.compile(r"^(?:(?:re|tr|fwd?)\s*:?\s*)*(annule et remplace|erratum|rectificatif|version corrigee"
                                 r"|nouvel envoi|v2\b)")
_SUBJECT_COMPLEMENTS = re.compile(r"^(?:(?:re|tr|fwd?)\s*:?\s*)*(complement|annexe s? manquante|annexes manquantes)")
_CITED = re.compile(r"(?:envoi|message|courriel|mail|version|contribution|transmission)s?\s+(?:transmise?s?\s+|envoyee?s?\s+)?"
                    r"(?:du|le|en date du)\s+([^,.;]{4,40})")


@dataclass
class FollowUp:
    relation: str | None = None
    #: The date the message gives for the earlier one ("notre envoi du 6 décembre 2021").
    cited_date: dt.date | None = None
    #: Message-IDs in In-Reply-To and References.
    replies_to: list[str] = field(default_factory=list)


def detect_follow_up(parsed: ParsedMessage) -> FollowUp:
    envelope = parsed.envelope
    subject = fold(envelope.subject)
    text = fold(own_text(parsed.body.text))[:3000]
    replies_to = list(dict.fromkeys(filter(None, [envelope.in_reply_to, *envelope.references])))
    relation = None
    if _SUBJECT_SUPERSEDES.match(subject) or _has(text, _SUPERSEDES_CUES):
        relation = SUPERSEDES
    elif _SUBJECT_COMPLEMENTS.match(subject) or _has(text, _COMPLEMENTS_CUES):
        relation = COMPLEMENTS
    cited = None
    if relation is not None:
        reference = (envelope.received_at or envelope.date or dt.datetime.now(dt.UTC)).date()
        raw = own_text(parsed.body.text)
        for match in _CITED.finditer(fold_keep_digits(raw)):
            cited = parse_french_date(match.group(1), reference)
            if cited:
                break
    return FollowUp(relation, cited, [r.strip() for r in replies_to])


def fold_keep_digits(text: str) -> str:
    """Folded text where `06/12/2021` keeps its slashes."""
    from bilan.nlp.text import strip_accents

    return re.sub(r"[’'`´\-‐‑–—]", " ", strip_accents(text))


def _has(text: str, cues: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(cue)}\b", text) for cue in cues)
