"""What kind of message is this: a contribution, or something else that must
not count as one?

The envelope decides first (delivery and read reports, auto-replies and bulk
mail announce themselves in their headers); the content decides the rest.
"""

from __future__ import annotations

import re
from enum import Enum

from bilan.nlp.text import fold
from bilan.parsers.message import ParsedMessage


class Kind(str, Enum):
    CONTRIBUTION = "contribution"
    SURVEY_RESPONSE = "survey_response"
    QUESTION = "question"
    AUTO_REPLY = "auto_reply"
    READ_RECEIPT = "read_receipt"
    BOUNCE = "bounce"
    SPAM = "spam"


_AUTO_REPLY_SUBJECT = re.compile(
    r"^(reponse automatique|automatic reply|auto ?reply|absence|absent ?\(?e?\)? du bureau|out of office|"
    r"en conge|message d absence)\b"
)
_READ_SUBJECT = re.compile(r"^(lu|read|vu)\s*:")
_BOUNCE_SUBJECT = re.compile(r"^(non remis|undelivered|delivery status notification|returned mail|echec de remise)")
_ROBOT_SENDERS = ("mailer-daemon@", "postmaster@")

#: Cues that a message announces, asks or waits rather than contributes.
_QUESTION_CUES = [
    "pouvez vous", "pourriez vous", "serait il possible", "est il possible", "merci de nous indiquer",
    "a qui devons nous", "devons nous", "faut il", "envoi a venir", "nous vous transmettrons",
    "demande de delai", "delai supplementaire",
]
_SURVEY_CUES = ["questionnaire", "enquete", "annexe 3", "mes reponses", "membre du conseil citoyen",
                "conseillere citoyenne", "conseiller citoyen"]
_CONTRIBUTION_CUES = ["contribution", "bilan", "compte rendu", "annexe 1", "annexe 2", "preconisation",
                      "rencontre territoriale"]


def classify_kind(parsed: ParsedMessage) -> Kind:
    from_headers = kind_from_envelope(parsed)
    if from_headers is not None:
        return from_headers
    return kind_from_content(parsed)


def kind_from_envelope(parsed: ParsedMessage) -> Kind | None:
    envelope = parsed.envelope
    headers = envelope.headers
    subject = fold(envelope.subject)
    sender = (envelope.sender_address or "").lower()
    if envelope.report_type == "delivery-status" or sender.startswith(_ROBOT_SENDERS) or _BOUNCE_SUBJECT.match(subject):
        return Kind.BOUNCE
    if envelope.report_type == "disposition-notification" or _READ_SUBJECT.match(envelope.subject.lower()):
        return Kind.READ_RECEIPT
    auto_submitted = headers.get("auto-submitted", "no").lower()
    precedence = headers.get("precedence", "").lower()
    if (
        auto_submitted not in ("", "no")
        or "x-autoreply" in headers
        or "x-autorespond" in headers
        or precedence == "auto_reply"
        or _AUTO_REPLY_SUBJECT.match(subject)
    ):
        return Kind.AUTO_REPLY
    if precedence in ("bulk", "list", "junk") or "list-unsubscribe" in headers or "list-id" in headers:
        return Kind.SPAM
    return None


def kind_from_content(parsed: ParsedMessage) -> Kind:
    subject = fold(parsed.envelope.subject)
    body = fold(parsed.body.text)
    names = " ".join(fold(a.filename) for a in parsed.attachments)
    documents = [a for a in parsed.attachments if a.format not in ("png", "jpg", "gif")]
    official = (parsed.envelope.sender_address or "").endswith(".gouv.fr")

    if not official and _is_survey(subject, body, names) and not _has(subject + " " + names, ["annexe 1", "annexe1", "annexe 2", "annexe2", "contribution", "compte rendu"]):
        return Kind.SURVEY_RESPONSE
    asks = _has(body, _QUESTION_CUES) or _has(subject, _QUESTION_CUES) or "question" in subject
    if asks and (not documents or not _has(subject + " " + body[:2000], ["ci joint", "vous trouverez", "veuillez trouver"])):
        return Kind.QUESTION
    if documents or _has(subject, _CONTRIBUTION_CUES) or len(body) > 1500:
        return Kind.CONTRIBUTION
    return Kind.CONTRIBUTION if official else Kind.SPAM


def _is_survey(subject: str, body: str, names: str) -> bool:
    return _has(subject, _SURVEY_CUES) or _has(names, ["annexe 3", "annexe3", "questionnaire"]) or (
        _has(body[:3000], _SURVEY_CUES) and not _has(body[:3000], ["prefecture", "prefet"])
    )


def _has(text: str, cues: list[str]) -> bool:
    return any(cue in text for cue in cues)
