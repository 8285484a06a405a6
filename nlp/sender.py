"""Who wrote: the sender's role (prefecture, sous_prefecture, ddets, sgar,
delegue_prefet, conseil_citoyen_member, association, other).

Signals, most telling first: the title a sender puts in their display name
("ARNAUD Youssef (Délégué du préfet)"); the functional mailbox they write
from (`ddets-pv@`, `pref-bpv@`, `sgar-...@`); the service in their display
name ("DDETS 81 - Politique de la ville"); their signature block — only when
it is theirs (signed with their name, or sent from a functional mailbox: a
signature pasted from a colleague says who the colleague is). Private
senders are members or associations by what they send and how they sign.
"""

from __future__ import annotations

import re

from bilan.nlp.kind import Kind, is_official_sender
from bilan.nlp.mailtext import sender_address, sender_display_name, signature_block
from bilan.nlp.text import fold
from bilan.parsers.message import ParsedMessage

ROLES = ("prefecture", "sous_prefecture", "ddets", "sgar", "delegue_prefet", "conseil_citoyen_member", "association",
         "other")

#: Cues of each state role, most specific first: a "délégué du préfet" works
#: at a préfecture, a "sous-préfet" is not the préfet.
ROLE_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("delegue_prefet", ("delegue du prefet", "deleguee du prefet", "delegues du prefet", "delegue de la prefete",
                        "deleguee de la prefete", "delegue prefet", "deleguee prefet")),
    ("sous_prefecture", ("sous prefecture", "sous prefet", "sous prefete", "sp de", "sous pref")),
    ("sgar", ("sgar", "secretariat general pour les affaires regionales", "affaires regionales",
              "prefecture de la region", "prefecture de region")),
    ("ddets", ("ddets", "ddetspp", "ddcs", "ddcspp", "direction departementale de l emploi du travail et des solidarites",
               "direction departementale de l emploi, du travail et des solidarites",
               "direction departementale de la cohesion sociale", "direction departementale de l emploi")),
    ("prefecture", ("prefecture", "prefet", "prefete", "bureau de la politique de la ville", "pref ",
                    "direction de la citoyennete")),
)
#: Functional mailboxes: the part before the @.
MAILBOX_CUES = (("sgar", "sgar"), ("ddets", "ddets"), ("ddcs", "ddets"), ("sous-prefecture", "sous_prefecture"),
                ("sp-", "sous_prefecture"), ("pref", "prefecture"), ("bpv", "prefecture"))
ASSOCIATION_CUES = ("association", "centre social", "collectif", "maison de quartier", "regie de quartier",
                    "federation", "comite", "table de quartier", "mjc", "ccas")
MEMBER_CUES = ("membre du conseil citoyen", "conseillere citoyenne", "conseiller citoyen", "mes reponses",
               "ma reponse", "questionnaire rempli", "je suis membre")


def sender_role(parsed: ParsedMessage, kind: Kind) -> str:
    if kind in (Kind.BOUNCE, Kind.SPAM):
        return "other"
    envelope = parsed.envelope
    address = sender_address(envelope) or ""
    local = address.split("@")[0]
    display = fold(sender_display_name(envelope))
    signature = signature_block(parsed.body.text)
    folded_signature = fold(signature)
    official = is_official_sender(parsed)

    title = " ".join(re.findall(r"\(([^)]*)\)?", sender_display_name(envelope)))
    role = _state_role(fold(title))
    if role:
        return role
    for cue, mailbox_role in MAILBOX_CUES:
        if local.startswith(cue) or f"-{cue}" in local or f".{cue}" in local:
            return mailbox_role
    functional = _is_functional(re.sub(r"\(.*", "", display), local)
    role = _state_role(display) if functional else None
    if role:
        return role
    if functional or _signed_by_sender(signature, display, local):
        role = _state_role(folded_signature)
        if role:
            return role
    if official:
        return "prefecture"  # a state address with nothing more said: the préfecture, by far the most frequent
    if kind in (Kind.SURVEY_RESPONSE, Kind.CONTRIBUTION, Kind.QUESTION):
        # Who they are: their display name, mailbox, and the last lines they sign with.
        own_lines = [fold(line) for line in signature.splitlines() if "?" not in line and " : " not in line]
        identity = f"{display} {fold(local)} {' '.join(own_lines[-2:])}"
        if any(re.search(rf"\b{cue}\b", identity) for cue in ASSOCIATION_CUES):
            return "association"
        if kind is Kind.SURVEY_RESPONSE or any(cue in fold(parsed.body.text) for cue in MEMBER_CUES):
            return "conseil_citoyen_member"
    return "other"


def _state_role(text: str) -> str | None:
    """The most specific role named in a text; also with spaces removed, for
    titles broken by header folding ("la s ous-préfecture")."""
    text = f" {text} "
    compact = text.replace(" ", "")
    for role, cues in ROLE_CUES:
        if any(re.search(rf"\b{re.escape(cue)}\b", text) for cue in cues):
            return role
        if any(len(cue) > 6 and cue.replace(" ", "") in compact for cue in cues):
            return role
    return None


def _is_functional(display: str, local: str) -> bool:
    """A service mailbox ("Politique de la ville Manche", `ddets-pv@`) rather than a person's."""
    words = ("politique de la ville", "ddets", "pref", "bpv", "service", "bureau", "direction", "sgar", "cohesion",
             "secretariat", "mission", "pole", "cellule")
    return display.startswith(words) or bool(re.search(r"ddets|pref|bpv|sgar|(^|[-_.])pv([-_.]|$)", local))


def _signed_by_sender(signature: str, display: str, local: str) -> bool:
    """The signature's first line carries the sender's name: every word of
    their display name (without a title in parentheses), or else a part of
    their address; a sender who gave no name cannot be contradicted."""
    first_line = fold(signature.splitlines()[0]) if signature else ""
    name = re.sub(r"\(.*", "", display)
    words = [w for w in re.split(r"[\s.\-_]+", name) if len(w) >= 3]
    if words:
        return all(re.search(rf"\b{re.escape(w)}\b", first_line) for w in words)
    parts = [w for w in re.split(r"[\s.\-_\d]+", fold(local)) if len(w) >= 3]
    return not parts or any(p in first_line.replace(" ", "") for p in parts)
