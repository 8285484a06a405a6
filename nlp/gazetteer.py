"""Find departments named in a text, with spaCy matchers over a gazetteer
built from the reference list.

Names are matched on folded text (no accents, no case, hyphens and
apostrophes as spaces), so every spelling of `Côtes-d'Armor` is one pattern.
Department numbers are matched only with a cue around them (`(93)`,
`DDETS 93`, `Contribution 93`, `département 93`), because a bare number is
more often a count or a year than a department.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.util import filter_spans

from bilan.nlp.text import fold
from bilan.reference import CommuneInfo, communes, departments

#: Words that announce a department ("la préfecture du Nord", "DDETS de l'Aude").
CUE_WORDS = {
    "departement", "departements", "prefecture", "prefet", "prefete", "ddets", "ddcs", "ddcspp",
    "sous", "pref", "dpt", "dept", "contribution", "contributions", "territoire", "annexe",
    "annexes", "manquante", "manquantes", "s",
}
ARTICLES = {"de", "du", "des", "la", "le", "l", "d", "en", "et"}
#: Common-noun prefixes used in names, written in full by some and abbreviated by others.
_ABBREVIATIONS = [(r"\bsaint\b", "st"), (r"\bsainte\b", "ste")]


@dataclass(frozen=True)
class DepartmentMention:
    code: str
    text: str
    start: int
    end: int
    by_number: bool
    #: A cue word or article just before the name ("préfecture de la", "département du").
    cued: bool


class DepartmentFinder:
    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.numbers = Matcher(nlp.vocab)
        codes = [info.code.lower() for info in departments()]
        for info in departments():
            variants = {fold(info.name)}
            for pattern, short in _ABBREVIATIONS:
                variants |= {re.sub(pattern, short, v) for v in list(variants)}
            self.phrases.add(info.code, [nlp.make_doc(v) for v in variants])
        number = {"LOWER": {"IN": codes}}
        self.numbers.add("NUMBER", [
            [{"ORTH": "("}, number, {"ORTH": ")"}],
            [{"LOWER": {"IN": sorted(CUE_WORDS)}}, number],
            [{"LOWER": {"IN": sorted(CUE_WORDS)}}, {"ORTH": {"IN": ["-", ":", "n°", "no"]}}, number],
        ])
        # "Annexe(s) manquante(s) - 21": a number closing a title after a dash.
        self.numbers.add("TRAILING", [[{"ORTH": {"IN": ["-", "–", ":"]}}, number]])
        self._by_code = {info.code.lower(): info.code for info in departments()}

    def find(self, text: str) -> list[DepartmentMention]:
        """Every department named in `text`, longest match first wins
        (`Haute-Savoie` is not also `Savoie`)."""
        folded, offsets = fold_with_offsets(text)
        doc = self.nlp.make_doc(folded)
        spans = []
        for match_id, start, end in self.phrases(doc):
            span = doc[start:end]
            span.label_ = self.nlp.vocab.strings[match_id]
            spans.append(span)
        for match_id, start, end in self.numbers(doc):
            if self.nlp.vocab.strings[match_id] == "TRAILING" and not _ends_a_line(doc, end):
                continue
            token = next(t for t in doc[start:end] if t.lower_ in self._by_code)
            span = doc[token.i : token.i + 1]
            span.label_ = "#" + self._by_code[token.lower_]
            spans.append(span)
        mentions = []
        for span in filter_spans(spans):
            by_number = span.label_.startswith("#")
            code = span.label_.lstrip("#")
            start, end = offsets[span.start_char], offsets[span.end_char - 1] + 1
            original = text[start:end]
            if not by_number and not _looks_like_a_name(original):
                continue
            before = [t.lower_ for t in doc[max(0, span.start - 3) : span.start]]
            cued = bool(before) and (before[-1] in ARTICLES or before[-1] in CUE_WORDS or "(" in before)
            mentions.append(DepartmentMention(code, original, start, end, by_number, cued or by_number))
        return mentions


def _ends_a_line(doc, end: int) -> bool:
    return end == len(doc) or doc[end].is_space or doc[end].is_punct


def _looks_like_a_name(original: str) -> bool:
    """A department name is a proper noun: `Cher`, `LOT`, not `cher` or `lot`."""
    return original[:1].isupper()


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold character by character, remembering where each folded character came from."""
    folded_chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        piece = fold(char) if not char.isspace() else " "
        if char in "-‐‑‒–—_'’`´/":
            # Inside a word ("Seine-Saint-Denis", "l'Aisne") a separator is a
            # space; standing alone (" - 21") it is kept as punctuation.
            alone = (index == 0 or text[index - 1].isspace()) and (
                index + 1 == len(text) or text[index + 1].isspace()
            )
            piece = "-" if alone and char in "-‐‑‒–—" else " "
        for folded_char in piece or "":
            folded_chars.append(folded_char)
            offsets.append(index)
    folded = "".join(folded_chars)
    # fold() would collapse runs of spaces; keep them so offsets stay aligned.
    return folded, offsets + [len(text)]


@lru_cache(maxsize=1)
def get_department_finder() -> DepartmentFinder:
    from bilan.nlp.pipeline import get_nlp

    return DepartmentFinder(get_nlp())


# -- communes and QPV codes ------------------------------------------------------------------

#: Words after which a commune is named ("à Nancy", "mairie de Laval",
#: "sous-préfecture de Bressuire"); a bare name is too often a word or a quartier.
COMMUNE_CUES = [
    ["a"], ["commune", "de"], ["commune", "d"], ["ville", "de"], ["ville", "d"], ["mairie", "de"], ["mairie", "d"],
    ["sous", "prefecture", "de"], ["sous", "prefecture", "d"], ["arrondissement", "de"], ["arrondissement", "d"],
    ["agglomeration", "de"], ["agglomeration", "d"], ["ccas", "de"], ["ccas", "d"],
]
MAX_COMMUNE_WORDS = 6


@dataclass(frozen=True)
class CommuneMention:
    """A commune named in a text, with every department that has a commune of
    that name (homonyms), the most populous first."""

    name: str
    candidates: tuple[CommuneInfo, ...]
    #: How it was found: "cue" (à X, mairie de X), "postcode" (68000 Colmar), "seat" (sous-préfecture de X).
    via: str

    @property
    def departments(self) -> list[str]:
        return list(dict.fromkeys(c.department for c in self.candidates))


class CommuneGazetteer:
    """Commune names -> departments, and the spaCy matchers that find them in
    text after a cue, after a postal code, and QPV codes (`QN09301`)."""

    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.by_name: dict[str, list[CommuneInfo]] = {}
        for info in communes():
            for variant in _name_variants(info.name):
                self.by_name.setdefault(variant, []).append(info)
        for infos in self.by_name.values():
            infos.sort(key=lambda c: (c.seat == "", -c.population))
        self.matcher = Matcher(nlp.vocab)
        self.matcher.add("CUE", [[{"LOWER": word} for word in cue] for cue in COMMUNE_CUES])
        self.matcher.add("POSTCODE", [[{"SHAPE": "dddd", "LENGTH": 5}], [{"TEXT": {"REGEX": r"^\d{5}$"}}]])
        self.qpv = Matcher(nlp.vocab)
        self.qpv.add("QPV", [[{"TEXT": {"REGEX": r"^(?i:qn)(\d{3}|02[ab])\d{2}[a-z]?$"}}]])

    def lookup(self, name: str) -> tuple[CommuneInfo, ...]:
        """Communes called exactly `name` (accents, case and hyphens aside)."""
        return tuple(self.by_name.get(fold(name), ()))

    def find(self, text: str) -> list[CommuneMention]:
        """Communes named after a cue or a postal code."""
        folded, offsets = fold_with_offsets(text)
        doc = self.nlp.make_doc(folded)
        mentions: list[CommuneMention] = []
        for match_id, start, end in self.matcher(doc):
            label = self.nlp.vocab.strings[match_id]
            cue = " ".join(t.lower_ for t in doc[start:end])
            for size in range(MAX_COMMUNE_WORDS, 0, -1):
                span = doc[end : end + size]
                if len(span) < size or any(t.is_punct and t.text not in "-'" for t in span):
                    continue
                candidates = self.lookup(span.text)
                original = text[offsets[span.start_char] : offsets[span.end_char - 1] + 1]
                if candidates and _looks_like_a_name(original):
                    if label == "POSTCODE":
                        candidates = tuple(c for c in candidates if _postcode_fits(doc[start].text, c.department))
                        via = "postcode"
                    elif cue.startswith(("sous prefecture", "arrondissement")):
                        candidates = tuple(c for c in candidates if c.seat) or candidates
                        via = "seat"
                    else:
                        via = "cue"
                    if candidates:
                        mentions.append(CommuneMention(original, candidates, via))
                    break
        return mentions

    def find_qpv_codes(self, text: str) -> list[str]:
        """QPV codes, with their suffix letter (which the tokenizer may split
        off as a unit: `QN06801M`)."""
        if not _QPV_HINT.search(text):
            return []  # most texts: no need to tokenize them for the matcher
        doc = self.nlp.make_doc(text)
        codes = []
        for _, start, end in self.qpv(doc):
            code = doc[start].text.upper()
            if end < len(doc) and not doc[start].whitespace_ and len(doc[end].text) == 1 and doc[end].is_alpha:
                code += doc[end].text.upper()
            codes.append(code)
        return codes


#: What every QPV code holds (see the QPV pattern of `CommuneGazetteer`).
_QPV_HINT = re.compile(r"(?i)qn\d")


def _name_variants(name: str) -> set[str]:
    variants = {fold(name)}
    for pattern, short in _ABBREVIATIONS:
        variants |= {re.sub(pattern, short, v) for v in list(variants)}
    return variants


def _postcode_fits(postcode: str, department: str) -> bool:
    """Postal codes start with the department (20 for Corsica, 97x overseas)."""
    if department in ("2A", "2B"):
        return postcode.startswith("20")
    return postcode.startswith(department)


@lru_cache(maxsize=1)
def get_commune_gazetteer() -> CommuneGazetteer:
    from bilan.nlp.pipeline import get_nlp

    return CommuneGazetteer(get_nlp())


# -- the state's territorial services ----------------------------------------------------------

#: The services and titles of the state in a département and a région that
#: write to the campaign, by the role they give their writer, from the most
#: specific to the most general: a "délégué du préfet" works for the
#: préfecture, a sous-préfecture is one, a DDETS is under the préfet's
#: authority and often signs under the préfet's logo, the SGAR belongs to the
#: préfecture of the région. Written folded (see `text.fold`), with the
#: genders and the usual abbreviations; the matcher ignores punctuation.
STATE_SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("delegue_prefet", (
        "delegue du prefet", "deleguee du prefet", "delegues du prefet", "deleguees du prefet",
        "delegue de la prefete", "deleguee de la prefete", "delegue prefet", "deleguee prefet",
        "delegue du prefet a la politique de la ville", "delegues des prefets", "delegue du prefet pour la politique "
        "de la ville", "delegue du representant de l etat",
    )),
    ("sous_prefecture", (
        "sous prefecture", "sous prefectures", "sous prefet", "sous prefete", "sous prefets", "sous pref",
        "sous prefet d arrondissement", "sous prefete d arrondissement", "sous prefet a la ville",
        "sous prefete a la ville", "sp de", "sp d",
    )),
    ("ddets", (
        "ddets", "ddets pp", "ddetspp", "ddcs", "ddcspp", "ddcs pp", "deets", "djscs", "drieets", "ud drieets",
        "direction departementale de l emploi", "direction departementale de l emploi du travail et des solidarites",
        "direction departementale de l emploi du travail des solidarites et de la protection des populations",
        "direction departementale de l emploi du travail et des solidarites et de la protection des populations",
        "direction departementale de la cohesion sociale",
        "direction departementale de la cohesion sociale et de la protection des populations",
        "direction de l economie de l emploi du travail et des solidarites",
        "direction de la jeunesse des sports et de la cohesion sociale",
        "unite departementale de la direction regionale et interdepartementale de l economie de l emploi du travail "
        "et des solidarites",
    )),
    ("sgar", (
        "sgar", "sgar adjoint", "sgar adjointe", "sgard", "secretariat general pour les affaires regionales",
        "secretaire general pour les affaires regionales", "secretaire generale pour les affaires regionales",
        "secretariat general aux affaires regionales", "affaires regionales", "prefecture de region",
        "prefecture de la region", "prefet de region", "prefete de region", "prefet de la region",
        "prefete de la region", "dreets",
        "direction regionale de l economie de l emploi du travail et des solidarites",
    )),
    ("prefecture", (
        "prefecture", "prefectures", "prefet", "prefete", "pref", "prefet delegue pour l egalite des chances",
        "prefete deleguee pour l egalite des chances", "bureau de la politique de la ville",
        "bureau politique de la ville", "pole politique de la ville", "mission politique de la ville",
        "service politique de la ville", "mission ville", "cabinet du prefet", "cabinet de la prefete",
        "directeur de cabinet", "directrice de cabinet", "secretaire general de la prefecture",
        "secretaire generale de la prefecture", "secretariat general de la prefecture", "secretaire general adjoint",
        "secretaire generale adjointe", "direction de la citoyennete", "direction de la coordination des politiques "
        "publiques", "direction des collectivites", "bureau de la cohesion sociale",
    )),
)
#: The order above, as a rank: the higher, the more specific.
SPECIFICITY = {role: len(STATE_SERVICES) - rank for rank, (role, _) in enumerate(STATE_SERVICES)}


@dataclass(frozen=True)
class ServiceMention:
    """A state service or title named in a text."""

    role: str
    text: str


class StateServiceFinder:
    """Finds the state's services and titles in any text (a signature line,
    a display name, the words of a mailbox), wherever they stand in it."""

    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for role, phrases in STATE_SERVICES:
            self.matcher.add(role, [nlp.make_doc(phrase) for phrase in dict.fromkeys(phrases)])

    def find(self, text: str) -> list[ServiceMention]:
        """Every service named, the longest match of overlapping ones
        ("délégué du préfet", not also "préfet")."""
        doc = self.nlp.make_doc(_words_only(text))
        spans = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            span.label_ = self.nlp.vocab.strings[match_id]
            spans.append(span)
        return [ServiceMention(span.label_, span.text) for span in filter_spans(spans)]

    def most_specific(self, text: str, broken_words: bool = False) -> str | None:
        """The most specific role named in `text`: a sous-préfecture beats the
        préfecture whose name it also bears. With `broken_words`, names split
        by header folding ("la s ous-préfecture") are found too."""
        roles = [mention.role for mention in self.find(text)]
        if broken_words:
            compact = _words_only(text).replace(" ", "")
            roles += [role for role, phrases in STATE_SERVICES
                      if any(len(phrase) > 6 and phrase.replace(" ", "") in compact for phrase in phrases)]
        return max(roles, key=SPECIFICITY.__getitem__) if roles else None


#: Inclusive writing: a feminine or plural ending after a middle dot or in
#: parentheses ("délégué·e", "Délégué(e)", "chargé.es") is left out, so that the
#: title reads as the gazetteer writes it.
_INCLUSIVE_SUFFIX = re.compile(r"(?<=[^\W\d_])(?:[·⋅•]|\.(?=es?\b)|\()(?:e|es|s|ne|nes|le|les|ice|rice|trice)\)?(?![^\W\d_])")


#: An acronym written with full stops ("D.D.E.T.S.", "S.G.A.R."): one word.
_DOTTED_ACRONYM = re.compile(r"(?<![^\W\d_])(?:[A-Za-z]\.){2,}(?:[A-Za-z](?![^\W\d_]))?")


def _words_only(text: str) -> str:
    """Folded, punctuation and separators as spaces, digits kept apart from
    letters (`DDETS91`, `ddets-pv`, `PREF26`)."""
    text = _DOTTED_ACRONYM.sub(lambda m: m.group().replace(".", ""), _INCLUSIVE_SUFFIX.sub("", text))
    folded = re.sub(r"[^\w\s]|_", " ", fold(text))
    folded = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", folded)
    return " ".join(folded.split())


@lru_cache(maxsize=1)
def region_domains() -> frozenset[str]:
    """The régions' names as mail domains, those that are not also a département's (La Réunion, Mayotte...)."""
    regions = {fold(info.region).replace(" ", "-") for info in departments()}
    regions |= {re.sub(r"\bd-", "d", region) for region in regions}  # côte-d'azur: cote-d-azur, cote-dazur
    department_domains = {info.domain.removesuffix(".gouv.fr") for info in departments()}
    department_names = {fold(info.name).replace(" ", "-") for info in departments()}
    return frozenset(regions - department_domains - department_names)


@lru_cache(maxsize=1)
def get_state_service_finder() -> StateServiceFinder:
    from bilan.nlp.pipeline import get_nlp

    return StateServiceFinder(get_nlp())
