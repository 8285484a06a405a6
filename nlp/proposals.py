"""The member's proposals in an Annexe 3 questionnaire (survey responses).

The questionnaire sent to conseil citoyen members ends with a question on
their proposals ("Quelles sont vos propositions pour améliorer la
participation des habitants ?"); its answer is what the campaign counts as the
member's recommendations. Members answer in the Word or PDF form (a
question | answer table), or type the questions and answers in their e-mail
("11. Quelles sont … ? : Faire venir les jeunes…").

`question_answers` reads the question/answer pairs from a document's
structure; `proposals_answers` keeps the answer to the proposals question (or,
in a questionnaire, to its last question). This is the only place that
knows the questionnaire's layout: when the structured extraction exposes its
own question/answer pairs, `proposals_answers` is the one function to point
at them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from openpyxl.utils import get_column_letter

from bilan.nlp.structure import LIST_MARKER, Passage, Section, repair_blocks
from bilan.nlp.text import fold
from bilan.parsers.document import BlockKind, Document, Provenance

#: Words of a question asking for proposals.
_PROPOSALS_QUESTION = re.compile(r"\b(?:propositions?|suggestions?|recommandations?|preconisations?|idees?|ameliorer|amelioration)\b")
#: A questionnaire has at least this many questions; its last one is the proposals question.
_QUESTIONNAIRE_SIZE = 5
#: Answers that say nothing.
_NO_ANSWER = {
    "", "non", "rien", "aucune", "aucun", "ras", "je ne sais pas", "sans avis", "nc", "neant",
    "pas d idee", "pas de proposition", "pas de propositions", "ne sait pas", "nsp", "sans objet",
}
_INLINE_PAIR = re.compile(r"^(?P<question>[^?]{8,}\?)\s*[:\-–]?\s*(?P<answer>\S.*)$")


@dataclass(frozen=True)
class QuestionAnswer:
    question: str
    answer: str
    kind: BlockKind
    provenance: Provenance


def question_answers(document: Document) -> list[QuestionAnswer]:
    """Question/answer pairs in reading order: table rows whose first cell is a
    question, lines "Question ? : answer", and a question paragraph followed by
    its answer paragraphs."""
    pairs: list[QuestionAnswer] = []
    pending: QuestionAnswer | None = None
    for block in repair_blocks(document.blocks):
        if block.kind is BlockKind.TABLE:
            pending = _flush(pairs, pending)
            for r, row in enumerate(block.rows or []):
                cells = [" ".join(str(c).split()) if c is not None else "" for c in row]
                if len(cells) >= 2 and cells[0].rstrip(" :").endswith("?"):
                    answer = " ".join(dict.fromkeys(c for c in cells[1:] if c and c != cells[0]))
                    provenance = replace(block.provenance, cell_range=f"{get_column_letter(2)}{r + 1}")
                    pairs.append(QuestionAnswer(_question(cells[0]), answer, BlockKind.TABLE, provenance))
            continue
        text = " ".join(block.text.split())
        inline = _INLINE_PAIR.match(text)
        if inline:
            pending = _flush(pairs, pending)
            pairs.append(QuestionAnswer(_question(inline["question"]), inline["answer"], block.kind, block.provenance))
        elif text.rstrip(" :").endswith("?"):
            pending = _flush(pairs, pending)
            pending = QuestionAnswer(_question(text), "", block.kind, block.provenance)
        elif pending is not None and block.kind is not BlockKind.HEADING:
            joined = f"{pending.answer} {text}".strip()
            provenance = pending.provenance if pending.answer else block.provenance
            pending = replace(pending, answer=joined, kind=block.kind, provenance=provenance)
        else:
            pending = _flush(pairs, pending)
    _flush(pairs, pending)
    return pairs


def _flush(pairs: list[QuestionAnswer], pending: QuestionAnswer | None) -> None:
    if pending is not None and pending.answer:
        pairs.append(pending)
    return None


def _question(text: str) -> str:
    while True:
        stripped = LIST_MARKER.sub("", text, count=1)
        if stripped == text:
            return " ".join(text.rstrip(" :").split())
        text = stripped


def proposals_answers(document: Document, attachment: int | None = None) -> list[Passage]:
    """The answer(s) to the proposals question, as passages the recommendation
    reader takes sentence by sentence."""
    pairs = question_answers(document)
    chosen = [p for p in pairs if _PROPOSALS_QUESTION.search(fold(p.question))]
    if not chosen and len(pairs) >= _QUESTIONNAIRE_SIZE:
        chosen = [pairs[-1]]
    return [
        Passage(p.answer, p.kind, frozenset({Section.RECOMMENDATIONS}), p.provenance, attachment,
                survey_answer=True)
        for p in chosen
        if fold(p.answer).strip(" .!") not in _NO_ANSWER
    ]
