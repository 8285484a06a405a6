"""Who wrote: the sender's role (prefecture, sous_prefecture, ddets, sgar,
delegue_prefet, conseil_citoyen_member, association, other).

A state sender's role comes from the structure of the administration, not
from the shape of a signature: the services and titles of the state
(`gazetteer.STATE_SERVICES`) are looked for wherever the sender says who
they are — the title in their display name ("ARNAUD Youssef (Délégué du
préfet)"), the functional mailbox they write from (`ddets-pv@`, `pref-bpv@`),
the service in their display name ("DDETS 81 - Politique de la ville"), and
their own signature block, found by its position and content
(`mailtext.signature_block`) in any layout. Where several are named, the most
specific wins (a sous-préfecture, a délégué du préfet, a DDETS or the SGAR
rather than the préfecture whose logo they also carry). A signature that
names someone else (pasted from a colleague) says who the colleague is, and
is ignored. Private senders are members or associations by what they send
and how they sign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bilan.nlp.gazetteer import SPECIFICITY, get_state_service_finder, region_domains
from bilan.nlp.kind import Kind, is_official_sender
from bilan.nlp.mailtext import (
    is_signature_line,
    sender_address,
    sender_display_name,
    signature_block,
    split_signature_parts,
)
from bilan.nlp.text import fold
from bilan.parsers.message import ParsedMessage

ROLES = ("prefecture", "sous_prefecture", "ddets", "sgar", "delegue_prefet", "conseil_citoyen_member", "association",
         "other")

#: Abbreviations found only in mailbox names (`sp-dax@`, `pref-bpv@`): the
#: full names are in the gazetteer.
MAILBOX_ABBREVIATIONS = {"sp": "sous_prefecture", "bpv": "prefecture", "spv": "prefecture"}
#: Words of a service's mailbox or display name, not of a person's name.
SERVICE_WORDS = {
    "politique", "ville", "service", "services", "bureau", "direction", "pole", "mission", "cellule", "secretariat",
    "cohesion", "sociale", "contact", "accueil", "courrier", "cabinet", "quartiers", "pv", "emploi", "solidarites",
    "charge", "chargee", "chef", "responsable", "adjoint", "adjointe", "directeur", "directrice", "secretaire",
    "general", "generale", "coordinatrice", "coordinateur", "assistante", "assistant", "conseiller", "conseillere",
    "referent", "referente", "delegue", "deleguee", "prefet", "prefete", "prefecture", "sous", "ddets", "sgar",
    "de", "du", "des", "la", "le", "les", "et", "l", "d", "a",
}
ASSOCIATION_CUES = ("association", "centre social", "collectif", "maison de quartier", "regie de quartier",
                    "federation", "comite", "table de quartier", "mjc", "ccas")
MEMBER_CUES = ("membre du conseil citoyen", "conseillere citoyenne", "conseiller citoyen", "mes reponses",
               "ma reponse", "questionnaire rempli", "je suis membre")



@dataclass(frozen=True)
class SenderRole:
    """A sender's role, how sure the reading is (0-1) and where it was read."""

    role: str
    confidence: float
    source: str


def sender_role(parsed: ParsedMessage, kind: Kind) -> SenderRole:
    if kind in (Kind.BOUNCE, Kind.SPAM):
        return SenderRole("other", 0.95, "robot or advertiser")
    state = state_role(parsed, kind)
    if state is not None:
        return state
    if is_official_sender(parsed):
        # a state address with nothing more said: the préfecture, by far the most frequent
        return SenderRole("prefecture", 0.4, "state address")
    return _private_role(parsed, kind)


def state_role(parsed: ParsedMessage, kind: Kind) -> SenderRole | None:
    """The state role the sender gives themselves, if any: their title, their
    service's mailbox, then the most specific service named in their display
    name or their own signature."""
    finder = get_state_service_finder()
    envelope = parsed.envelope
    local = (sender_address(envelope) or "").split("@")[0]
    display = sender_display_name(envelope)
    title = " ".join(re.findall(r"\(([^)]*)\)?", display))
    name = re.sub(r"\(.*", "", display)
    candidates = []
    role = finder.most_specific(title, broken_words=True)
    if role and role != "prefecture":
        return SenderRole(role, 0.95, "title in the display name")
    if role:  # a title naming the préfecture or one of its bureaux: a more specific role may follow
        candidates.append(SenderRole(role, 0.8, "title in the display name"))
    role = _mailbox_role(local)
    if role:  # a functional mailbox belongs to one service, whatever name it is given
        return SenderRole(role, 0.9, "functional mailbox")
    role = _domain_role(sender_address(envelope) or "")
    if role:
        candidates.append(SenderRole(role, 0.8, "mail domain"))
    role = finder.most_specific(name, broken_words=True)
    if role:
        candidates.append(SenderRole(role, 0.85, "display name"))
    if kind is not Kind.READ_RECEIPT:  # a read report's text is the client's, quoting our subject
        signature = signature_block(parsed.body.text)
        # the sender's lines, not a sentence after the closing ("pour toute urgence, écrivez à la préfecture")
        role = finder.most_specific("\n".join(line for line in signature.splitlines() if is_signature_line(line)))
        if role and not _names_someone_else(signature, name, local):
            candidates.append(SenderRole(role, 0.85, "signature"))
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: SPECIFICITY[candidate.role])


def _mailbox_role(local: str) -> str | None:
    """The service whose mailbox this is (`ddets-pv`, `pref-bpv`, `sgar-cohesion`, `sp-dax`)."""
    tokens = re.split(r"[._\-+]+|(?<=[a-z])(?=\d)", local.lower())
    for token in tokens:
        if token in MAILBOX_ABBREVIATIONS:
            return MAILBOX_ABBREVIATIONS[token]
    return get_state_service_finder().most_specific(" ".join(tokens))


def _domain_role(address: str) -> str | None:
    """A service's own domain (`x@ddets.aisne.gouv.fr`, `x@sous-prefecture-dax.gouv.fr`), or a
    région's rather than a département's (`x@grand-est.gouv.fr`): the regional level."""
    domain = address.rsplit("@", 1)[-1].lower()
    if not domain.endswith(".gouv.fr"):
        return None
    labels = domain.removesuffix(".gouv.fr").split(".")
    role = get_state_service_finder().most_specific(" ".join(labels))
    if role and role != "prefecture":
        return role
    if labels[-1] in region_domains():
        return "sgar"
    return None


def _names_someone_else(signature: str, display_name: str, local: str) -> bool:
    """The signature opens with a person's name that is not the sender's: a
    colleague's signature pasted under the text. A sender who gives no
    personal name (a service's display name and mailbox) cannot be
    contradicted."""
    lines = signature.splitlines()
    first = _leading_name(split_signature_parts(lines[0])[0]) if lines else ""
    if not _is_person_name(first):
        return False
    signed = _name_words(first)
    sender = _name_words(display_name) if _is_person_name(display_name) else []
    if sender:
        long_signed = [word for word in signed if len(word) >= 3]
        covered = all(any(_same_name(word, other) for other in sender) for word in long_signed)
        return not (covered or all(any(_same_name(word, other) for other in signed) for word in sender))
    parts = [part for part in re.split(r"[._\-]+", fold(local)) if part.isalpha()]
    if len(parts) != 2 or any(part in SERVICE_WORDS or _mailbox_role(part) for part in parts):
        return False
    compact_signed = "".join(signed)
    return not any(len(part) >= 3 and part in compact_signed for part in parts) and not any(
        len(word) >= 3 and word in "".join(parts) for word in signed
    )


#: Particles inside a person's name.
_PARTICLES = {"de", "da", "du", "le", "la", "van", "von", "des"}
#: Words that open a signature line without being a name ("Pour le préfet", "P/O la directrice").
_NOT_A_NAME = {"pour", "par", "p", "po", "p/o", "avec", "merci", "bonjour", "bonne", "le", "la", "les", "l", "au",
               "aux", "en", "service", "equipe"}


def _leading_name(line: str) -> str:
    """The capitalised words that open a line, up to its first title or
    service word: "Abdel Hoarau Délégué du préfet" -> "Abdel Hoarau" (a
    paragraph's line breaks may have been lost)."""
    words: list[str] = []
    for token in line.split():
        folded = fold(token).strip(".,;:")
        if not folded or any(char.isdigit() for char in token) or len(words) == 4:
            break
        if folded.split()[0] in SERVICE_WORDS - _PARTICLES or get_state_service_finder().find(token):
            break
        if not (token[0].isupper() or (words and folded in _PARTICLES)):
            break
        if not words and folded in _NOT_A_NAME:
            break
        words.append(token.strip(",;:"))
    named = [word for word in words if fold(word) not in _PARTICLES]
    return " ".join(words) if len(named) >= 2 else line


def _same_name(one: str, other: str) -> bool:
    """The same name, or its initial, or a short form of it ("Cathy", "Catherine")."""
    if one == other:
        return True
    if min(len(one), len(other)) == 1:
        return one[0] == other[0]
    return min(len(one), len(other)) >= 4 and one[:4] == other[:4]


def _is_person_name(text: str) -> bool:
    """Two to four words, each capitalised, none a service's or a title's
    word, no digits: "Agnès GIRAUD", "Jean-Marc Le Goff"."""
    words = re.findall(r"[^\W\d_][^\s]*", text)
    if not 2 <= len(words) <= 4 or re.search(r"\d|@", text):
        return False
    if any(not word[0].isupper() for word in words if fold(word) not in ("de", "da", "du", "le", "la", "van", "von")):
        return False
    if get_state_service_finder().find(text):
        return False
    return not any(word in SERVICE_WORDS - {"de", "du", "la", "le", "d", "l", "a"} for word in _name_words(text))


def _name_words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s.\-_']+", fold(text)) if word]


def _private_role(parsed: ParsedMessage, kind: Kind) -> SenderRole:
    """Members and associations, by what they send and how they sign."""
    if kind not in (Kind.SURVEY_RESPONSE, Kind.CONTRIBUTION, Kind.QUESTION):
        return SenderRole("other", 0.5, "no role stated")
    envelope = parsed.envelope
    local = (sender_address(envelope) or "").split("@")[0]
    display = fold(sender_display_name(envelope))
    signature = signature_block(parsed.body.text)
    # Who they are: their display name, mailbox, and the last lines they sign with.
    own_lines = [fold(line) for line in signature.splitlines() if "?" not in line and " : " not in line]
    identity = f"{display} {fold(local)} {' '.join(own_lines[-2:])}"
    if any(re.search(rf"\b{cue}\b", identity) for cue in ASSOCIATION_CUES):
        return SenderRole("association", 0.75, "association named")
    if kind is Kind.SURVEY_RESPONSE:
        return SenderRole("conseil_citoyen_member", 0.8, "survey answer")
    if any(cue in fold(parsed.body.text) for cue in MEMBER_CUES):
        return SenderRole("conseil_citoyen_member", 0.65, "member's words")
    return SenderRole("other", 0.5, "no role stated")
