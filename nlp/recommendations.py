"""Is a sentence a recommendation? Read with spaCy's parse, not keywords.

A sentence is *prescriptive* when one of these holds (`SentenceReading`):

- a cue phrase governs it: impersonal ("il conviendrait de", "il est proposé
  de", "il serait utile de", "il faut/faudrait", "il y aurait lieu de"), or a
  verb of proposing whose subject is the author ("nous préconisons", "les
  participants recommandent", "on voudrait") - Matcher and DependencyMatcher
  patterns on lemmas and dependencies;
- it opens on an infinitive ("Renforcer…", "Mieux articuler…", "Ne pas
  multiplier…", "Être invités…");
- it is a wish in the subjunctive ("Que les élus nous répondent.");
- its main verb is a modal in the conditional, or "devoir" ("Les conseils
  devraient être associés…", "… gagnerait à être ouvert…");
- it is a noun phrase of action ("Création d'un fonds…", "Mise en place…").

and none of the look-alikes applies: the governing verb is in a past tense
(passé composé, imparfait, plus-que-parfait: "la préfecture avait proposé
de…"), the subject is a text being quoted ("la loi prévoit…", "le cadre de
référence préconisait…"), it is a question, or it introduces a list.

Where the sentence stands decides how much is needed: a cue phrase or a label
("Proposition :") is enough anywhere; under a recommendations heading, in a
recommendations column, or in a survey's proposals answer, any prescriptive
form is (see `is_recommendation`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import DependencyMatcher, Matcher
from spacy.tokens import Doc, Token

from bilan.nlp.structure import (
    ASSESSMENT_LABEL,
    RECOMMENDATION_LABEL,
    Passage,
    Section,
    strip_list_marker,
)
from bilan.nlp.text import fold

#: Adjectives and participles of the impersonal cue "il est/serait … de".
IMPERSONAL_WORDS = [
    "proposé", "recommandé", "préconisé", "suggéré", "conseillé", "souhaitable", "souhaité",
    "nécessaire", "utile", "indispensable", "essentiel", "important", "primordial", "opportun",
    "pertinent", "judicieux", "intéressant", "demandé", "urgent", "impératif", "prioritaire",
    "bon", "bien", "préférable", "fondamental", "envisagé", "capital", "crucial", "vital",
    "requis", "attendu", "envisageable", "temps",
]
#: Verbs that carry a cue on their own after an impersonal "il".
IMPERSONAL_VERBS = ["convenir", "falloir", "importer"]
#: Verbs of proposing, wishing, asking.
PROPOSING_VERBS = [
    "préconiser", "proposer", "recommander", "suggérer", "conseiller", "souhaiter", "demander",
    "appeler", "plaider", "insister", "vouloir", "espérer", "prôner", "encourager", "militer",
]
#: What a letter wishes to do, not what it recommends ("nous souhaitons remercier").
COURTESY_VERBS = [
    "remercier", "souligner", "rappeler", "signaler", "préciser", "indiquer", "informer", "transmettre",
    "adresser", "saluer", "partager", "porter", "attirer", "féliciter", "excuser", "présenter",
]
#: Subjects that are the author of the contribution (or its participants).
AUTHOR_SUBJECTS = ["nous", "on", "je", "j'"]
AUTHOR_NOUNS = [
    "participant", "membre", "conseiller", "habitant", "groupe", "atelier", "conseil",
    "préfecture", "service", "acteur", "partenaire", "département", "commission", "collectif",
    "association", "équipe", "délégué", "structure",
]
#: Subjects that make a sentence a quotation of a text, not a recommendation.
TEXT_NOUNS = [
    "loi", "article", "décret", "circulaire", "instruction", "texte", "cadre", "charte", "rapport",
    "guide", "code", "arrêté", "ordonnance", "réglementation", "référentiel", "règlement",
    "contrat", "convention", "législateur", "jurisprudence", "note",
]
_QUOTING_OPENERS = re.compile(r"^(?:selon|conformement a|comme le (?:prevoit|prevoient|precise|rappelle|dispose))\b")
_INTRODUCTION = re.compile(r"(?::\s*$|\bsuivant(?:e)?s\s*[.:]?\s*$|\bci (?:dessous|apres)\b)")
_CONDITIONAL_ENDING = re.compile(r"r(?:ais|ait|ions|iez|aient)$")
#: Nouns of action that open a recommendation written as a noun phrase.
_ACTION_NOUN = re.compile(r"(?:tion|ment|age|ure|ise|ance|ence|at|ement)$")
_ACTION_NOUNS = {"mise", "prise", "création", "appui", "soutien", "recours", "accès", "suivi", "relance", "octroi", "envoi"}

def reading_text(text: str) -> str:
    """The sentence as the parser should see it: with its first letter in lower
    case, because the French model takes a capitalised infinitive opening a
    sentence ("Flécher", "Aller") for a noun or a participle. Acronyms and
    names with other capitals are left alone."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if not first[:1].isupper() or any(c.isupper() for c in first[1:]):
        return text
    return text[0].lower() + text[1:]


def clean_item_text(text: str) -> tuple[str, bool]:
    """The text as the analyst wants it: no list marker, no leading label,
    whitespace normalised. Also says whether a label was removed."""
    text = " ".join(strip_list_marker(" ".join(text.split())).split())
    labelled = False
    while True:
        stripped = RECOMMENDATION_LABEL.sub("", text, count=1)
        if stripped != text:
            labelled = True
        else:
            stripped = ASSESSMENT_LABEL.sub("", text, count=1)
        if stripped == text:
            return text, labelled
        text = strip_list_marker(stripped)


@dataclass(frozen=True)
class SentenceReading:
    """What the parse says about one sentence."""

    cue: bool = False
    infinitive: bool = False
    wish: bool = False
    modal: bool = False
    nominal: bool = False
    past: bool = False
    quotation: bool = False
    question: bool = False
    introduction: bool = False
    too_short: bool = False

    @property
    def prescriptive(self) -> bool:
        return self.cue or self.infinitive or self.wish or self.modal or self.nominal

    @property
    def look_alike(self) -> bool:
        return self.past or self.quotation or self.question or self.introduction or self.too_short


class PrescriptionReader:
    """Matcher and DependencyMatcher patterns over the shared pipeline's vocabulary."""

    def __init__(self, nlp: Language):
        self.cues = Matcher(nlp.vocab)
        self.cues.add("IMPERSONAL_ADJ", [[
            {"LOWER": "il"}, {"LOWER": {"IN": ["nous", "me", "m'", "m’", "s'", "s’"]}, "OP": "?"},
            {"LEMMA": {"IN": ["être", "sembler", "paraître", "apparaître", "avérer"]}},
            {"POS": "ADV", "OP": "*"}, {"LOWER": {"IN": IMPERSONAL_WORDS}},
        ]])
        self.cues.add("IMPERSONAL_VERB", [[
            {"LOWER": "il"}, {"LOWER": {"IN": ["s'", "s’"]}, "OP": "?"}, {"POS": "ADV", "OP": "?"},
            {"LEMMA": {"IN": IMPERSONAL_VERBS}},
        ]])
        self.cues.add("IL_Y_A_LIEU", [[{"LOWER": "il"}, {"LOWER": "y"}, {"LEMMA": "avoir"}, {"LOWER": "lieu"}]])
        self.structures = DependencyMatcher(nlp.vocab)
        self.structures.add("AUTHOR_PROPOSES", [[
            {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": {"IN": PROPOSING_VERBS}, "POS": "VERB"}},
            {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "subject",
             "RIGHT_ATTRS": {"DEP": {"IN": ["nsubj", "expl:subj"]}, "LOWER": {"IN": AUTHOR_SUBJECTS}}},
        ]])
        # "Les participants recommandent de…/que…": a clause must follow, for
        # "le conseil citoyen propose une fête chaque année" describes.
        self.structures.add("PARTICIPANTS_PROPOSE", [[
            {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": {"IN": PROPOSING_VERBS}, "POS": "VERB"}},
            {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "subject",
             "RIGHT_ATTRS": {"DEP": "nsubj", "LEMMA": {"IN": AUTHOR_NOUNS}}},
            {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "clause", "RIGHT_ATTRS": {"DEP": {"IN": ["xcomp", "ccomp"]}}},
        ]])
        self.structures.add("MODAL", [[
            {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": {"IN": ["devoir", "pouvoir", "gagner", "mériter"]},
                                                 "MORPH": {"IS_SUPERSET": ["Mood=Cnd"]}}},
            {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "complement", "RIGHT_ATTRS": {"DEP": "xcomp"}},
        ], [
            {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"LEMMA": "devoir", "MORPH": {"IS_SUPERSET": ["Tense=Pres"]}}},
            {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "complement", "RIGHT_ATTRS": {"DEP": "xcomp"}},
        ]])
        self.structures.add("QUOTED_TEXT", [[
            {"RIGHT_ID": "verb", "RIGHT_ATTRS": {"POS": {"IN": ["VERB", "AUX", "ADJ"]}}},
            {"LEFT_ID": "verb", "REL_OP": ">", "RIGHT_ID": "subject",
             "RIGHT_ATTRS": {"DEP": {"IN": ["nsubj", "nsubj:pass"]}, "LEMMA": {"IN": TEXT_NOUNS}}},
        ]])

    def read(self, doc: Doc) -> SentenceReading:
        """Read one sentence, parsed on its own (see `reading_text`)."""
        text = doc.text.strip()
        words = [t for t in doc if t.is_alpha]
        cue_verbs: list[Token] = []
        for _match_id, start, end in self.cues(doc):
            cue_verbs.append(next((t for t in doc[start:end] if t.pos_ in ("VERB", "AUX")), doc[end - 1]))
        modal = quotation = False
        for match_id, token_ids in self.structures(doc):
            name = doc.vocab.strings[match_id]
            verb = doc[token_ids[0]]
            if name in ("AUTHOR_PROPOSES", "PARTICIPANTS_PROPOSE") and _proposes(verb):
                cue_verbs.append(verb)
            elif name == "MODAL":
                modal = modal or not is_past(verb)
            elif name == "QUOTED_TEXT" and verb.dep_ == "ROOT" and not _conditional(verb):
                quotation = True
        governing = [v for v in cue_verbs if not is_past(v)]
        root = next((t for t in doc if t.dep_ == "ROOT"), doc[0])
        first = _first_content_token(doc)
        return SentenceReading(
            cue=bool(governing),
            infinitive=first is not None and _opens_on_infinitive(first),
            wish=doc[0].lower_ in ("que", "qu'", "qu’") and root.pos_ in ("VERB", "AUX"),
            modal=modal,
            nominal=_is_nominal(doc, root),
            past=(bool(cue_verbs) and not governing) or (not cue_verbs and is_past(root)),
            quotation=quotation or bool(_QUOTING_OPENERS.match(fold(text))),
            question=text.endswith("?"),
            introduction=bool(_INTRODUCTION.search(fold(text))),
            too_short=len(words) < 3,
        )


def _proposes(verb: Token) -> bool:
    """Not a letter's courtesy: "je vous propose de nous rencontrer", "nous
    souhaitons souligner / remercier…"."""
    if any(child.lower_ == "vous" for child in verb.children):
        return False
    return not any(child.dep_ == "xcomp" and child.lemma_ in COURTESY_VERBS for child in verb.children)


def is_past(verb: Token) -> bool:
    """Passé composé, imparfait, plus-que-parfait or passé simple of a verb,
    read from its morphology and its auxiliaries. An imperfect the tagger
    takes for a conditional ("préconisait") is recognised by its ending."""
    if _finite_past(verb):
        return True
    for child in verb.children:
        if not child.dep_.startswith("aux") or "Inf" in child.morph.get("VerbForm"):
            continue
        if _finite_past(child) or child.lemma_ == "avoir" or "Part" in child.morph.get("VerbForm"):
            return True
    return False


def _finite_past(token: Token) -> bool:
    if "Fin" not in token.morph.get("VerbForm"):
        return False
    tense, mood = token.morph.get("Tense"), token.morph.get("Mood")
    if "Imp" in tense or "Past" in tense:
        return True
    return "Cnd" in mood and not _CONDITIONAL_ENDING.search(token.lower_)


def _conditional(token: Token) -> bool:
    return "Cnd" in token.morph.get("Mood") and bool(_CONDITIONAL_ENDING.search(token.lower_))


def _first_content_token(doc) -> Token | None:
    """The first word after adverbs ("Mieux", "Systématiquement"), negation and
    reflexive pronouns ("S'appuyer")."""
    for token in doc:
        if token.is_punct or token.dep_ == "advmod" or token.pos_ == "ADV":
            continue
        if token.lower_ in ("ne", "n'", "n’", "pas", "plus", "se", "s'", "s’"):
            continue
        return token
    return None


def _opens_on_infinitive(token: Token) -> bool:
    return token.pos_ in ("VERB", "AUX") and "Inf" in token.morph.get("VerbForm")


def _is_nominal(doc: Doc, root: Token) -> bool:
    """A verbless sentence headed by a noun of action: "Création d'un fonds.",
    "La mise en place d'un réseau départemental."."""
    if root.pos_ not in ("NOUN", "PROPN") or any(t.pos_ not in ("DET", "PUNCT") for t in doc[: root.i]):
        return False
    if any("Fin" in t.morph.get("VerbForm") for t in doc):
        return False
    lemma = root.lemma_.lower()
    return lemma in _ACTION_NOUNS or bool(_ACTION_NOUN.search(lemma))


@lru_cache(maxsize=1)
def get_prescription_reader() -> PrescriptionReader:
    from bilan.nlp.pipeline import get_nlp

    return PrescriptionReader(get_nlp())


#: Cheap test before parsing a passage that stands outside any recommendation
#: section: only these can hold a cue phrase or a label.
CUE_HINT = re.compile(
    r"preconis|propos|recommand|suggere|suggerons|conviendr|convient|faudr|\bfaut\b|il serait|il est|"
    r"il semble|il parait|il importe|il y a(?:urait)? lieu|souhait|conseill|demandons|appelons|voudrions"
)


def may_hold_recommendation(passage: Passage) -> bool:
    return (
        passage.survey_answer
        or passage.in_section(Section.RECOMMENDATIONS)
        or bool(CUE_HINT.search(fold(passage.text)))
    )


def is_recommendation(reading: SentenceReading, passage: Passage, labelled: bool) -> bool:
    """The decision, by where the sentence stands (see the module docstring)."""
    if reading.look_alike:
        return False
    if passage.survey_answer:
        return True
    if reading.cue or labelled and reading.prescriptive:
        return True
    return passage.in_section(Section.RECOMMENDATIONS) and reading.prescriptive


def recommendation_confidence(reading: SentenceReading, passage: Passage, labelled: bool) -> float:
    """How sure the reading is that a kept sentence is a recommendation, 0-1.
    The author says so outright with a cue phrase or a label; a survey's
    proposals answer is one by construction; elsewhere the sentence's form
    decides: an infinitive, a wish or a modal is a plain prescription, a noun
    phrase of action ("Création d'un fonds") may also be a title or a
    description. Text read by OCR may be misread: a little less."""
    if reading.cue or labelled:
        score = 0.95
    elif passage.survey_answer:
        score = 0.9
    elif reading.infinitive or reading.wish or reading.modal:
        score = 0.85
    else:
        score = 0.7
    return round(score - (0.1 if passage.provenance.ocr else 0.0), 2)
