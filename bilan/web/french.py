"""French for the pages: the notes extraction writes (where a department
was read, why a message is to be reviewed) and the refusals of the correction layer are English, because the
command line, the logs and SQL users read them as they are; the pages are
French, so they are translated here, where a page shows them, never in
storage or nlp.

Each translation is a pattern of the English sentence and its French
form. A sentence no pattern knows is shown as it is (with a French lead
for a refusal): new wording upstream shows in English, it is never lost."""

from __future__ import annotations

import re
from collections.abc import Callable

from bilan.storage.views import (
    ANNEXE1_ROW,
    ANNEXE2_ROW,
    ANNEXE2_TYPE_LABELS,
    KIND_LABELS,
    ROLE_LABELS,
)

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

#: How extraction read a recommendation (`recommendation.origin`).
ORIGIN_LABELS = {
    "heading": "sous un titre",
    "table": "dans un tableau",
    "cue": "annoncée dans le texte",
    "label": "présentée comme telle par l'auteur",
    "survey": "réponse au questionnaire",
}

_TABLES = {"annexe1": "l'Annexe 1", "annexe2": "l'Annexe 2"}
#: A field's name as the pages show it: an annex column's spreadsheet header
#: (the analyst views'), or the part of a recommendation a person corrects.
FIELD_LABELS = {
    **{column.name: column.header for view in (ANNEXE1_ROW, ANNEXE2_ROW) for column in view.columns},
    "status": "décision", "text": "texte", "theme": "thème",
}  # fmt: skip


def field(name: str | None) -> str:
    """An annex column or a recommendation's part, in French (unknown: as it is)."""
    return FIELD_LABELS.get(name or "", name or "")


def _short(sha256: str) -> str:
    return f"{sha256[:12]}…"


def _commune(details: str | None) -> str:
    """The commune in brackets after a source, e.g. ` (Saint-Denis, homonyms elsewhere)`."""
    if not details:
        return ""
    return details.replace(", homonyms elsewhere", ", homonymes ailleurs")


def _rules(pairs: list[tuple[str, Callable[[re.Match[str]], str]]]) -> list[Rule]:
    return [(re.compile(pattern), render) for pattern, render in pairs]


#: One source of a department's evidence (`message_department.evidence`:
#: sources joined by "; ", `nlp/departments.py`).
EVIDENCE = _rules([
    (r"named in the subject", lambda m: "nommé dans l'objet"),
    (r"named in the signature", lambda m: "nommé dans la signature"),
    (r"named in the body", lambda m: "nommé dans le corps du message"),
    (r"department of the annex", lambda m: "département indiqué dans l'annexe"),
    (r"sender domain (\S+)", lambda m: f"domaine de l'expéditeur {m[1]}"),
    (r"QPV code (\S+)", lambda m: f"code QPV {m[1]}"),
    (r"commune in the signature( \(.*\))?", lambda m: "commune de la signature" + _commune(m[1])),
    (r"commune of the annex( \(.*\))?", lambda m: "commune de l'annexe" + _commune(m[1])),
    (r"commune of the conseil citoyen( \(.*\))?", lambda m: "commune du conseil citoyen" + _commune(m[1])),
    (r"commune named in the body( \(.*\))?", lambda m: "commune nommée dans le corps du message" + _commune(m[1])),
    (r"address that could not be reached", lambda m: "adresse que le message n'a pas pu joindre"),
    (r"correction", lambda m: "corrigé par une personne"),
])  # fmt: skip

_CELL = r"(annexe[12])\.(\w+)"

#: What the correction layer refuses (`CorrectionError`, `storage/corrections.py`)
#: that a page's form can send: the forms check the rest themselves, in French.
REFUSALS = _rules([
    (r"message ([0-9a-f]{64}) is not in this warehouse",
     lambda m: f"le message {_short(m[1])} n'est pas (ou plus) dans l'entrepôt"),
    (r"row (\d+) of (annexe[12]) of message ([0-9a-f]{64}) is not in this warehouse",
     lambda m: f"la ligne n° {int(m[1]) + 1} de {_TABLES[m[2]]} du message {_short(m[3])} n'existe plus "
               "(un nouveau traitement a pu changer les lignes) : rechargez la page"),
    (r"recommendation (\d+) of message ([0-9a-f]{64}) is not in this warehouse",
     lambda m: f"la préconisation n° {int(m[1]) + 1} du message {_short(m[2])} n'existe plus "
               "(un nouveau traitement a pu changer les préconisations) : rechargez la page"),
    (r"department (\S+) is not in this warehouse", lambda m: f"le département {m[1]} est inconnu"),
    (r"unknown department code '(.*)': .*",
     lambda m: f"« {m[1]} » n'est pas un code de département (01, 2A, 75, 974…)"),
    (r"a message cannot supersede itself", lambda m: "un message ne peut pas se remplacer lui-même"),
    (r"a message cannot complement itself", lambda m: "un message ne peut pas se compléter lui-même"),
    (rf"{_CELL} holds at most (\d+) characters, not (\d+)",
     lambda m: f"« {field(m[2])} » tient en {m[3]} caractères au plus (le texte en a {m[4]})"),
    (rf"{_CELL} is a month written YYYY-MM \(e\.g\. 2016-03\), not '(.*)'",
     lambda m: f"« {field(m[2])} » est un mois écrit AAAA-MM (par exemple 2016-03), pas « {m[3]} »"),
    (rf"{_CELL} is a whole number \(0 or more\) or null, not (.*)",
     lambda m: f"« {field(m[2])} » est un nombre entier positif ou nul, ou vide (pas {m[3]})"),
    (rf"{_CELL} is a number or null, not (.*)", lambda m: f"« {field(m[2])} » est un nombre, ou vide (pas {m[3]})"),
    (rf"{_CELL} is true, false or null, not (.*)", lambda m: f"« {field(m[2])} » est oui, non, ou vide (pas {m[3]})"),
    (r"unknown type of practice '(.*)': .*",
     lambda m: f"« {m[1]} » n'est pas un type de démarche : {', '.join(ANNEXE2_TYPE_LABELS.values())}"),
    (r"there is no correction #(\d+): .*", lambda m: f"il n'y a pas de correction n° {m[1]}"),
    (r"correction #(\d+) was already undone by (.+) at (\S+ \S+) UTC",
     lambda m: f"la correction n° {m[1]} a déjà été annulée par {m[2]} ({m[3]} UTC)"),
])  # fmt: skip


def _number(text: str) -> str:
    """0.45 as French writes it: 0,45."""
    return text.replace(".", ",")


#: What a low-confidence reason names (`nlp/review.py`, `uncertain_values`).
WHAT = _rules([
    (r"kind (\w+)", lambda m: f"nature {KIND_LABELS.get(m[1], m[1])}"),
    (r"sender_role (\w+)", lambda m: f"rôle de l'expéditeur {ROLE_LABELS.get(m[1], m[1])}"),
    (r"modality (\w+)", lambda m: f"modalité {m[1]}"),
    (r"department (\w+)", lambda m: f"département {m[1]}"),
    (r"Annexe (\d) row (\d+) (\w+)", lambda m: f"Annexe {m[1]}, ligne {m[2]}, « {field(m[3])} »"),
    (r"(\d+) Annexe (\d) cells, weakest Annexe \d row (\d+) (\w+)",
     lambda m: f"{m[1]} cellules de l'Annexe {m[2]}, la plus faible ligne {m[3]}, « {field(m[4])} »"),
    (r"recommendation (\d+)", lambda m: f"préconisation {m[1]}"),
    (r"(\d+) recommendations, weakest recommendation (\d+)",
     lambda m: f"{m[1]} préconisations, la plus faible n° {m[2]}"),
    (r"recommendation theme (\d+)", lambda m: f"thème de la préconisation {m[1]}"),
    (r"(\d+) recommendation themes, weakest recommendation theme (\d+)",
     lambda m: f"{m[1]} thèmes de préconisation, le plus faible n° {m[2]}"),
])  # fmt: skip


def _what(text: str) -> str:
    return _translated(WHAT, text) or text


#: Why extraction flagged a message (`message.review_reason`: reasons joined
#: by "; ", `nlp/review.py` and `nlp/departments.py`); a technical detail
#: after the reason (a limit, a parser's error) stays as it is.
REASONS = _rules([
    (r"low confidence: (.+) \((\d\.\d+) < (\d\.\d+)\)(?:: (.*))?",
     lambda m: f"confiance faible : {_what(m[1])} ({_number(m[2])} < {_number(m[3])})"
               + (f" : {evidence(m[4])}" if m[4] else "")),
    (r"sender not authenticated(?: by (\S+))?: (.*)",
     lambda m: "expéditeur non authentifié" + (f" par {m[1]}" if m[1] else "") + f" : {m[2]}"),
    (r"sender domain (\S+) is not one of the department (\w+)'s or its region's \((.*)\)",
     lambda m: f"le domaine {m[1]} n'est ni celui du département {m[2]} ni celui de sa région ({m[3]})"),
    (r"no department could be identified", lambda m: "aucun département n'a pu être identifié"),
    (r"conflicting signal: (\w+) \((.*)\)", lambda m: f"indice contraire : {m[1]} ({evidence(m[2])})"),
    (r"limit hit: (.*)", lambda m: f"limite de lecture atteinte : {m[1]}"),
    (r"message structure repaired: (.*)", lambda m: f"structure du message réparée : {m[1]}"),
    (r"headers unreadable, kept as written: (.*)", lambda m: f"en-têtes illisibles, gardés tels quels : {m[1]}"),
    (r"recommendations could not be read: (.*)", lambda m: f"les préconisations n'ont pas pu être lues : {m[1]}"),
])  # fmt: skip


def review_reason(text: str | None) -> str:
    """Why a message is to be reviewed, in French, reason by reason; the
    sources of a department's evidence, which follow its reason, too."""
    if not text:
        return ""
    return " ; ".join(_translated(REASONS, part) or _translated(EVIDENCE, part) or part for part in text.split("; "))


def _translated(rules: list[Rule], text: str) -> str | None:
    for pattern, render in rules:
        found = pattern.fullmatch(text)
        if found:
            return render(found)
    return None


def evidence(text: str | None) -> str:
    """Where extraction read a department, in French: each source of the
    "; "-separated list on its own (unknown ones as they are)."""
    if not text:
        return ""
    return " ; ".join(_translated(EVIDENCE, part) or part for part in text.split("; "))


def origin(value: str | None) -> str:
    """How extraction read a recommendation, in French."""
    return ORIGIN_LABELS.get(value or "", value or "")


def refusal(message: str) -> str:
    """A refusal of the correction layer, in French; one no rule knows
    keeps its English text, introduced as such."""
    return _translated(REFUSALS, message) or f"{message} (message technique, en anglais)"
