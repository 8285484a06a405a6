"""Recommendations, strengths and weaknesses of one message.

The steps, for a contribution or a survey response:

1. every document of the message (body, attachments, files inside ZIPs and
   forwarded messages) becomes passages with their section
   (`nlp/structure.py`); for a survey response, the proposals answer of the
   questionnaire (`nlp/proposals.py`);
2. the passages that can hold what we look for - in a recommendations,
   strengths or weaknesses section, a survey answer, or with a cue word - go
   through spaCy once (tagger, parser, lemmatizer; no NER) and are cut into
   sentences;
3. each sentence is read (`nlp/recommendations.py`) and kept as a
   recommendation, a strength or a weakness, without its list marker or label;
4. duplicates within the message are dropped (the same document attached as
   DOCX and PDF counts once), recommendations get a theme
   (`nlp/themes.py`) and every item its mentions (`nlp/mentions.py`).

Strengths and weaknesses are only read in contributions, as the campaign
asks: the sentences under an "atouts / réussites" or "fragilités" heading (or
the same words in a table).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace

from rapidfuzz import fuzz
from spacy.tokens import Doc, Span

from bilan.nlp.memo import Memo
from bilan.nlp.mentions import Mention, get_mention_finder
from bilan.nlp.proposals import proposals_answers
from bilan.nlp.recommendations import (
    SentenceReading,
    clean_item_text,
    get_prescription_reader,
    is_recommendation,
    may_hold_recommendation,
    reading_text,
    recommendation_confidence,
)
from bilan.nlp.structure import Passage, Section, document_passages, strip_list_marker
from bilan.nlp.text import fold
from bilan.nlp.themes import get_theme_classifier, theme_of_label
from bilan.parsers.document import BlockKind, Document, Provenance
from bilan.parsers.message import ParsedMessage

CONTRIBUTION = "contribution"
SURVEY_RESPONSE = "survey_response"
#: Two items whose folded texts are at least this similar (rapidfuzz ratio) are
#: one: the same sentence read from a DOCX and from its PDF export differs by a
#: hyphen or a broken word at most, while two different recommendations may
#: share all but a few words ("… du quartier Le Bourg" / "… du quartier La Roseraie").
DUPLICATE_RATIO = 97.0
#: spaCy components the reading needs; the NER runs later, on the items found only.
READING_DISABLED = ["ner"]


@dataclass(frozen=True)
class Finding:
    """A sentence found in a message, with where it was found."""

    text: str
    provenance: Provenance
    #: Position of the file in the message's flat list; None for the body.
    attachment: int | None
    #: How it was found: heading, table, cue, label or survey.
    origin: str
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True)
class Recommendation(Finding):
    theme: str | None = None
    #: The model's probability; for an author's label, 1.0 when its words
    #: name the theme, else its similarity to the theme (`themes.theme_of_label`).
    theme_score: float | None = None
    #: `label` (the document names the theme) or `model`.
    theme_source: str | None = None
    theme_label: str | None = None
    #: How sure the reader is that this sentence is a recommendation, 0-1
    #: (the theme's own confidence is `theme_score`).
    confidence: float = 1.0


@dataclass
class Findings:
    recommendations: list[Recommendation] = field(default_factory=list)
    strengths: list[Finding] = field(default_factory=list)
    weaknesses: list[Finding] = field(default_factory=list)


def extract_findings(parsed: ParsedMessage, kind: str) -> Findings:
    """Recommendations (contributions and survey responses), strengths and
    weaknesses (contributions) of a message; nothing for other kinds."""
    documents = [(a.index if a is not None else None, doc) for a, doc in parsed.documents()]
    return findings_from_documents(documents, kind)


def findings_from_documents(documents: list[tuple[int | None, Document]], kind: str) -> Findings:
    """The same from (attachment position or None for the body, document) pairs."""
    if kind not in (CONTRIBUTION, SURVEY_RESPONSE):
        return Findings()
    passages = message_passages(documents, kind)
    findings = read_passages(passages, assessments=kind == CONTRIBUTION)
    findings.recommendations = _with_themes(_unique(findings.recommendations))
    findings.strengths = _unique(findings.strengths)
    findings.weaknesses = _unique(findings.weaknesses)
    _add_mentions(findings)
    return findings


def message_passages(documents: list[tuple[int | None, Document]], kind: str) -> list[Passage]:
    """The passages to read. A survey response is read through its
    questionnaire's proposals answer when it has one."""
    survey = [p for index, doc in documents for p in proposals_answers(doc, index)]
    if kind == SURVEY_RESPONSE and survey:
        return survey
    return [p for index, doc in documents for p in document_passages(doc, index)] + survey


def read_passages(passages: list[Passage], assessments: bool = True) -> Findings:
    """Cut the passages worth reading into sentences and keep the findings."""
    wanted = [
        p for p in passages
        if may_hold_recommendation(p)
        or (assessments and (p.only_in(Section.STRENGTHS) or p.only_in(Section.WEAKNESSES)))
    ]
    if not wanted:
        return Findings()
    cleaned = [clean_item_text(p.text) for p in wanted]
    sentences: list[tuple[Passage, str, bool]] = []
    for passage, (_, item_labelled), pieces in zip(wanted, cleaned, _sentence_texts([t for t, _ in cleaned])):
        for number, piece in enumerate(pieces):
            text, labelled = clean_item_text(piece)
            if text:
                # The label of a list item ("Proposition :") stands for its first sentence.
                sentences.append((passage, text, labelled or (number == 0 and item_labelled)))
    findings = Findings()
    readings = _readings([reading_text(text) for _, text, _ in sentences])
    for (passage, text, labelled), reading in zip(sentences, readings):
        found = Finding(text, passage.provenance, passage.attachment, _origin(passage, labelled))
        if is_recommendation(reading, passage, labelled):
            confidence = recommendation_confidence(reading, passage, labelled)
            findings.recommendations.append(
                Recommendation(**vars(found), theme_label=passage.theme_label, confidence=confidence)
            )
        elif assessments and _is_assessment(reading):
            origin = "table" if passage.kind is BlockKind.TABLE else "heading"
            if passage.only_in(Section.STRENGTHS):
                findings.strengths.append(replace(found, origin=origin))
            elif passage.only_in(Section.WEAKNESSES):
                findings.weaknesses.append(replace(found, origin=origin))
    return findings


#: Sentences of a passage's text, and the reading of a sentence, by text
#: (see `nlp/memo.py`): the same passages come back in many messages.
_SENTENCES: Memo[str, tuple[str, ...]] = Memo("sentences", encode=list, decode=tuple)
_READINGS: Memo[str, SentenceReading] = Memo(
    "readings", encode=asdict, decode=lambda fields: SentenceReading(**fields)
)


def _sentence_texts(texts: list[str]) -> list[tuple[str, ...]]:
    """Each text cut into sentences (`sentence_spans`), as texts."""
    from bilan.nlp.pipeline import SENTENCE_COMPONENT, get_nlp

    def cut(new: list[str]) -> Iterable[tuple[str, ...]]:
        nlp = get_nlp()
        senter = nlp.get_pipe(SENTENCE_COMPONENT)
        for doc in senter.pipe(nlp.make_doc(text) for text in new):
            yield tuple(span.text for span in sentence_spans(doc))

    return _SENTENCES.results(texts, cut)


def _readings(texts: list[str]) -> list[SentenceReading]:
    """Each sentence read through spaCy (tagger, parser, lemmatizer; no NER)."""
    from bilan.nlp.pipeline import get_nlp

    def read(new: list[str]) -> Iterable[SentenceReading]:
        reader = get_prescription_reader()
        return [reader.read(doc) for doc in get_nlp().pipe(new, disable=READING_DISABLED)]

    return _READINGS.results(texts, read)


def sentence_spans(doc: Doc) -> list[Span]:
    """The model's sentences, mended: a sentence only ends on a full stop, a
    question or exclamation mark, an ellipsis or a colon (a piece cut elsewhere
    continues the previous one), and a bare label or number ("Préconisation
    n°1 :") belongs to the sentence after it."""
    spans: list[Span] = []
    label_start: int | None = None
    for sentence in doc.sents:
        start = sentence.start if label_start is None else label_start
        label_start = None
        text = sentence.text.strip()
        if not text:
            continue
        if spans and spans[-1].text.rstrip()[-1:] not in ".!?…:":
            spans[-1] = doc[spans[-1].start : sentence.end]
            continue
        if not strip_list_marker(text) or (text.endswith(":") and len(text.split()) <= 4):
            label_start = start
            continue
        spans.append(doc[start : sentence.end])
    if label_start is not None:
        spans.append(doc[label_start : len(doc)])
    return spans


def _is_assessment(reading: SentenceReading) -> bool:
    return not (reading.question or reading.introduction or reading.too_short)


def _origin(passage: Passage, labelled: bool) -> str:
    if passage.survey_answer:
        return "survey"
    if passage.kind is BlockKind.TABLE:
        return "table"
    if passage.in_section(Section.RECOMMENDATIONS):
        return "heading"
    return "label" if labelled else "cue"


def comparison_key(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split())


def _unique(items: list) -> list:
    """Drop items that repeat an earlier one (same document in two formats,
    a sentence quoted twice); the first found is kept."""
    kept: list = []
    keys: list[str] = []
    for item in items:
        key = comparison_key(item.text)
        if any(key == other or fuzz.ratio(key, other) >= DUPLICATE_RATIO for other in keys):
            continue
        kept.append(item)
        keys.append(key)
    return kept


def _with_themes(recommendations: list[Recommendation]) -> list[Recommendation]:
    """The author's theme label when it names one, else the model's theme."""
    labelled = {i: theme_of_label(r.theme_label) for i, r in enumerate(recommendations)}
    to_predict = [i for i, theme in labelled.items() if theme is None]
    predictions = get_theme_classifier().predict([recommendations[i].text for i in to_predict]) if to_predict else []
    result = list(recommendations)
    for i, named in labelled.items():
        if named is not None:
            result[i] = replace(result[i], theme=named[0], theme_score=named[1], theme_source="label")
    for i, prediction in zip(to_predict, predictions):
        result[i] = replace(result[i], theme=prediction.theme, theme_score=prediction.score, theme_source="model")
    return result


def _add_mentions(findings: Findings) -> None:
    items = [*findings.recommendations, *findings.strengths, *findings.weaknesses]
    if not items:
        return
    mentions = get_mention_finder().find_many([item.text for item in items])
    n_rec, n_str = len(findings.recommendations), len(findings.strengths)
    with_mentions = [replace(item, mentions=found) for item, found in zip(items, mentions)]
    findings.recommendations = with_mentions[:n_rec]
    findings.strengths = with_mentions[n_rec : n_rec + n_str]
    findings.weaknesses = with_mentions[n_rec + n_str :]
