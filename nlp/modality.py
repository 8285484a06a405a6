"""How a department answered (modality 1 territorial meeting, 2 online
meeting on Grande Équipe, 3 written contribution) and, for meeting reports,
when the meeting was held and how many took part.

The explicit "(modalité 2)" of a report wins; otherwise what the sender says
they send ("le compte rendu de la rencontre territoriale", "notre contribution
écrite") in the message, then in its documents. A mention in a negative or
contrasting context ("la rencontre territoriale n'a pas pu se tenir") does not
count. File names are not read: "Compte rendu réunion Grande Equipe.pdf" is
often the name of a template reused for a territorial meeting.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from bilan.nlp.mailtext import own_text
from bilan.nlp.text import strip_accents
from bilan.nlp.values import MONTHS
from bilan.parsers.document import Document
from bilan.parsers.message import ParsedMessage

_EXPLICIT = re.compile(r"\bmodalite\s*(?:n\s*[°o]?\s*)?([123])\b")
_PHRASES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"\brencontres? territoriales?\b|\brencontre departementale\b|\ben presentiel\b")),
    (2, re.compile(r"\b(?:reunion|rencontre|seance|atelier)s? (?:en ligne|a distance|en visio\w*|grande equipe)\b"
                   r"|\bplateforme grande equipe\b|\bvisioconference\b")),
    (3, re.compile(r"\bcontributions? ecrites?\b")),
)
#: Words that turn a mention around ("n'a pas pu se tenir", "plutôt qu'une rencontre").
_NEGATIONS = re.compile(
    r"\bn ?(?:a|ont|avons|ai) pas (?:pu|ete)\b|\bpas pu\b|\bannulee?s?\b|\breportee?s?\b|\bfaute d\b|\bau lieu d\b"
    r"|\bplutot qu\b|\bne s est pas tenue\b|\bsans rencontre\b|\bpas de rencontre\b|\bpas de reunion\b"
)

_WEEKDAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_DATE = re.compile(rf"(?:{_WEEKDAYS}\s+)?(\d{{1,2}})(?:er)?\s+({'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?"
                   r"(?:\s+(\d{4}))?\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MEETING_CUES = re.compile(
    r"s est (?:tenue|deroulee)|a eu lieu|\bdate\s*(?:de la (?:rencontre|reunion))?\s*:|\b(?:rencontre|reunion) du\b"
    r"|\bdate\b.*\bparticipants\b|\bparticipants?\b|\bpersonnes\b|\ba reuni\b"
)
_PARTICIPANTS = (
    re.compile(r"\bnombre de (?:participants|personnes presentes|presents)\s*:?\s*(\d{1,4})\b"),
    re.compile(r"\ba (?:reuni|rassemble|accueilli|mobilise)\s+(?:pres de |plus de |environ )?(\d{1,4})\s"),
    re.compile(r"\b(\d{1,4})\s+(?:participants?|personnes|presents)\b"),
    re.compile(r"\bparticipants?\s*:\s*(\d{1,4})\b"),
)


@dataclass(frozen=True)
class Meeting:
    date: dt.date | None
    participants: int | None


#: How sure each kind of evidence is, when every mention agrees: the
#: template's own "modalité N" label, what the sender says they send in the
#: e-mail, what a document says of itself (a report may also tell of another
#: meeting).
EXPLICIT_CONFIDENCE = 0.95
BODY_CONFIDENCE = 0.85
DOCUMENT_CONFIDENCE = 0.75
#: Applied when a later source names another modality than the one decided.
DISAGREEMENT_FACTOR = 0.8


@dataclass(frozen=True)
class ModalityReading:
    """The modality read from a message and how sure the reading is (0-1):
    the evidence's base confidence times the share of its mentions that
    agree, lowered when another source says otherwise."""

    modality: int | None
    confidence: float | None = None


def read_modality(parsed: ParsedMessage, *, documents_only: bool = False) -> ModalityReading:
    """1, 2 or 3 with its confidence, or None when the message itself says
    nothing of it (an annexes-only complement). With `documents_only`, the
    e-mail's own words are not read (a follow-up's text speaks of the earlier
    message)."""
    texts = [_plain(d.text) for a, d in parsed.documents() if a is not None]
    sources = texts if documents_only else [_plain(own_text(parsed.body.text)), *texts]
    explicit = Counter(int(m.group(1)) for text in sources for m in _EXPLICIT.finditer(text))
    phrases = [_phrase_modalities(text) for text in sources]
    if explicit:
        return _reading(explicit, EXPLICIT_CONFIDENCE, phrases)
    for index, found in enumerate(phrases):  # the body first: what the sender says they send
        if found:
            base = BODY_CONFIDENCE if index == 0 and not documents_only else DOCUMENT_CONFIDENCE
            return _reading(found, base, phrases[index + 1:])
    return ModalityReading(None)


def _reading(votes: Counter, base: float, others: list[Counter]) -> ModalityReading:
    """The most mentioned modality; sure in proportion to its share of the
    mentions, less so when another source's own choice differs."""
    modality, count = votes.most_common(1)[0]
    confidence = base * count / sum(votes.values())
    if any(found and found.most_common(1)[0][0] != modality for found in others):
        confidence *= DISAGREEMENT_FACTOR
    return ModalityReading(modality, round(confidence, 3))


def _phrase_modalities(text: str) -> Counter:
    found: Counter = Counter()
    for sentence in re.split(r"(?<=[.!?;])\s+|\n", text):
        if _NEGATIONS.search(sentence):
            continue
        for modality, pattern in _PHRASES:
            found[modality] += len(pattern.findall(sentence))
    return +found


def find_meeting(parsed: ParsedMessage, received: dt.datetime | None = None) -> Meeting | None:
    """Date and participants of the meeting a report describes: from its
    documents first (the report), then from the e-mail."""
    reference = (received or dt.datetime.now(dt.UTC)).date()
    documents = [d for a, d in parsed.documents() if a is not None] + [parsed.body]
    for document in documents:
        meeting = meeting_in_document(document, reference)
        if meeting is not None:
            return meeting
    return None


def meeting_in_document(document: Document, reference: dt.date) -> Meeting | None:
    date: dt.date | None = None
    participants: int | None = None
    for block in document.blocks:
        if block.rows:
            found_date, found_count = _meeting_in_table(block.rows, reference)
        else:
            found_date, found_count = _meeting_in_text(_plain(block.text), reference)
        date = date or found_date
        participants = participants if participants is not None else found_count
        if date and participants is not None:
            break
    if date is None:
        return None
    return Meeting(date, participants)


def _meeting_in_text(text: str, reference: dt.date) -> tuple[dt.date | None, int | None]:
    if not _MEETING_CUES.search(text):
        return None, None
    date = None
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        if re.search(r"s est (?:tenue|deroulee)|a eu lieu|\bdate\s*:|\b(?:rencontre|reunion) du\b", sentence):
            date = parse_french_date(sentence, reference)
            if date:
                break
    return date, _participants(text)


def _meeting_in_table(rows, reference: dt.date) -> tuple[dt.date | None, int | None]:
    """A small table such as `Date | Lieu | Participants`, in rows or in columns."""
    cells = [[_plain(str(c)) if c is not None else "" for c in row] for row in rows[:6]]
    date = participants = None
    for orientation in (cells, [list(col) for col in zip(*cells)] if cells else []):
        if not orientation:
            continue
        header = orientation[0]
        for column, title in enumerate(header):
            values = [row[column] for row in orientation[1:] if column < len(row) and row[column]]
            if not values:
                continue
            if title.startswith("date") and date is None:
                date = parse_french_date(values[0], reference)
            if ("participant" in title or "personnes" in title) and participants is None:
                match = re.search(r"\d{1,4}", values[0])
                participants = int(match.group()) if match else None
    return date, participants


def _participants(text: str) -> int | None:
    for pattern in _PARTICIPANTS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def parse_french_date(text: str, reference: dt.date) -> dt.date | None:
    """"jeudi 4 novembre 2021", "1er décembre 2021", "04/11/2021"; without a
    year, the latest such date on or before `reference` (a report tells of a
    past meeting)."""
    text = _plain(text)
    match = _DATE.search(text)
    if match:
        day, month, year = int(match.group(1)), MONTHS[match.group(2)], match.group(3)
        return _date(int(year), month, day) if year else _latest_before(month, day, reference)
    match = _NUMERIC_DATE.search(text)
    if match:
        return _date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    return None


def _latest_before(month: int, day: int, reference: dt.date) -> dt.date | None:
    for year in (reference.year, reference.year - 1):
        candidate = _date(year, month, day)
        if candidate and candidate <= reference:
            return candidate
    return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _plain(text: str) -> str:
    """Lower case, no accents, apostrophes and hyphens as spaces, punctuation kept."""
    text = strip_accents(text)
    text = re.sub(r"[’'`´\-‐‑–—]", " ", text)
    return re.sub(r"[ \t\u00a0\u202f]+", " ", text)
