"""Annexe 3: the questionnaire conseil citoyen members answer, as question /
answer pairs, with the personal data they contain flagged.

Members answer in the Word form (a two-column table), in a PDF of it, by
typing the questions in their e-mail ("4. Conseil citoyen (quartier et
commune) : Les Cèdres – Perpignan"), or with each question as a line and the
answer below. Questions are recognised by similarity to the template's
questions, not by position, so that a reordered or shortened form still reads.

The member's proposals (last question, topic `proposals`) are recommendations:
the recommendations extractor reads them from `SurveyResponse.proposals`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from bilan.nlp.text import fold
from bilan.parsers.document import BlockKind, Document
from bilan.parsers.message import ParsedMessage

#: (topic, template question, personal data?) in the template's order.
QUESTIONS: tuple[tuple[str, str, bool], ...] = (
    ("name", "Nom et prénom", True),
    ("phone", "Téléphone", True),
    ("email", "Adresse électronique", True),
    ("conseil", "Conseil citoyen (quartier et commune)", False),
    ("since", "Depuis quand êtes-vous membre du conseil citoyen ?", False),
    ("college", "Collège (habitants / acteurs locaux)", False),
    ("functioning", "Comment jugez-vous le fonctionnement de votre conseil citoyen ?", False),
    ("training", "Avez-vous bénéficié d'une formation ? Laquelle ?", False),
    ("steering", "Le conseil citoyen est-il associé au pilotage du contrat de ville ?", False),
    ("difficulties", "Quelles difficultés rencontrez-vous ?", False),
    ("proposals", "Quelles sont vos propositions pour améliorer la participation des habitants ?", False),
)
#: Other ways the short questions are written.
ALIASES = {
    "name": ("nom", "prenom nom", "nom prenom", "vos nom et prenom", "identite"),
    "phone": ("tel", "telephone portable", "numero de telephone", "portable"),
    "email": ("mail", "e mail", "courriel", "adresse mail", "adresse e mail", "email"),
    "conseil": ("conseil citoyen", "quartier et commune", "votre conseil citoyen"),
    "college": ("college",),
}
MIN_SIMILARITY = 82.0
#: A questionnaire is recognised from this many answered questions.
MIN_ANSWERS = 4

_PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}\s*[.)°-]|[-•*])?\s*")


@dataclass
class SurveyAnswer:
    number: int
    topic: str
    question: str
    answer: str
    pii: bool


@dataclass
class SurveyResponse:
    """One member's questionnaire. `attachment` is the index of the file it
    came from (None: the e-mail body)."""

    answers: list[SurveyAnswer] = field(default_factory=list)
    source: str = "body"
    attachment: int | None = None

    def answer(self, topic: str) -> str | None:
        return next((a.answer for a in self.answers if a.topic == topic and a.answer), None)

    @property
    def proposals(self) -> str | None:
        """The last question: what the member proposes (recommendations)."""
        return self.answer("proposals")

    @property
    def conseil_citoyen(self) -> str | None:
        return self.answer("conseil")

    @property
    def has_pii(self) -> bool:
        return any(a.pii and a.answer for a in self.answers) or any(
            _PHONE.search(a.answer) or _EMAIL.search(a.answer) for a in self.answers
        )


def extract_survey_responses(parsed: ParsedMessage) -> list[SurveyResponse]:
    """Every filled questionnaire of a message (body and attachments); the
    same respondent sent twice (DOCX and PDF) counts once."""
    responses: list[SurveyResponse] = []
    for attachment, document in parsed.documents():
        source = "body" if attachment is None else attachment.filename
        index = None if attachment is None else attachment.index
        for response in responses_in_document(document):
            response.source, response.attachment = source, index
            responses.append(response)
    unique: dict[tuple, SurveyResponse] = {}
    for response in responses:
        key = tuple(fold(a.answer) for a in response.answers if a.topic in ("name", "phone", "email", "conseil"))
        unique.setdefault(key or (id(response),), response)
    return list(unique.values())


def responses_in_document(document: Document) -> list[SurveyResponse]:
    responses = []
    for block in document.tables:
        pairs = [(str(row[0]), _join(row[1:])) for row in block.rows or [] if row and row[0] is not None]
        responses.extend(split_responses(pairs))
    lines = [b.text for b in document.blocks if b.kind is not BlockKind.TABLE]
    responses.extend(split_responses(_pairs_in_lines(lines)))
    return responses


def question_topic(text: str) -> tuple[str, str, bool] | None:
    """The template question a text asks, if it asks one."""
    return _topic(_core(text))


@lru_cache(maxsize=4096)
def _topic(core: str) -> tuple[str, str, bool] | None:
    if not core or len(core) > 160:
        return None
    best, best_score = None, 0.0
    for topic, question, pii in QUESTIONS:
        for variant in (question, *ALIASES.get(topic, ())):
            score = fuzz.ratio(core, _core(variant))
            if score > best_score:
                best, best_score = (topic, question, pii), score
    return best if best_score >= MIN_SIMILARITY else None


def _core(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(_NUMBERED.sub("", text, count=1))).split())


def _pairs_in_lines(lines: list[str]) -> list[tuple[str, str]]:
    """"Question ? : answer" on one line, or the question alone on a line and
    its answer on the next."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for line in lines:
        line = line.strip()
        if not line:
            continue
        split = _split_question_line(line)
        if split is not None:
            pairs.append(split)
            pending = None
        elif question_topic(line) is not None:
            pending = line
        elif pending is not None:
            pairs.append((pending, line))
            pending = None
    return pairs


def _split_question_line(line: str) -> tuple[str, str] | None:
    for match in re.finditer(r"\s?:\s", line):
        question, answer = line[: match.start()], line[match.end():]
        if question_topic(question) is not None:
            return question, answer.strip()
    return None


def split_responses(pairs: list[tuple[str, str]]) -> list[SurveyResponse]:
    """Answers in order; a question asked again starts a new respondent."""
    responses: list[SurveyResponse] = []
    current = SurveyResponse()
    seen: set[str] = set()
    for question, answer in pairs:
        topic = question_topic(question)
        if topic is None:
            continue
        name, template, pii = topic
        if name in seen:
            responses.append(current)
            current, seen = SurveyResponse(), set()
        seen.add(name)
        number = next(i for i, q in enumerate(QUESTIONS, start=1) if q[0] == name)
        text = " ".join(answer.split())
        # A free answer can carry personal data too ("rappelez-moi au 06 ...").
        current.answers.append(SurveyAnswer(number, name, template, text, pii or personal_data_in(text)))
    responses.append(current)
    return [r for r in responses if sum(1 for a in r.answers if a.answer) >= MIN_ANSWERS]


def _join(cells) -> str:
    return " ".join(str(c) for c in cells if c is not None)


def personal_data_in(text: str) -> bool:
    """A phone number or an e-mail address."""
    return bool(_PHONE.search(text) or _EMAIL.search(text))
