"""What kind of message is this: a contribution, or something else that must
not count as one?

The envelope decides first (delivery and read reports, auto-replies and bulk
mail announce themselves in their headers); the content decides the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bilan.nlp.mailtext import own_text, sender_address, signature_block
from bilan.nlp.text import fold
from bilan.parsers.document import ParseStatus
from bilan.parsers.message import ParsedAttachment, ParsedMessage


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

#: Cues that a message asks, announces or acknowledges rather than contributes.
_QUESTION_CUES = [
    "pouvez vous", "pourriez vous", "serait il possible", "est il possible", "merci de nous indiquer",
    "merci de me dire", "merci de nous confirmer", "pouvez vous nous confirmer", "a qui devons nous",
    "devons nous", "faut il", "doit on", "doivent elles", "doivent ils", "quel format", "quelle date",
    "envoi a venir", "nous vous transmettrons", "je vous transmettrai", "dans les prochains jours",
    "demande de delai", "delai supplementaire", "report de la date", "bien recu", "accuse de reception",
    "nous accusons reception", "je vous remercie pour votre envoi",
]
_SURVEY_CUES = ["questionnaire", "enquete", "annexe 3", "annexe3", "mes reponses", "membre du conseil citoyen",
                "conseillere citoyenne", "conseiller citoyen"]
_CONTRIBUTION_CUES = ["contribution", "bilan", "compte rendu", "annexe 1", "annexe 2", "annexes 1 et 2",
                      "preconisation", "rencontre territoriale", "annule et remplace", "version corrigee",
                      "complement", "annexe manquante", "annexes manquantes"]
#: Campaign vocabulary: a message without any of it is not about the campaign.
_CAMPAIGN_WORDS = ["conseil citoyen", "conseils citoyens", "participation", "qpv", "quartier", "politique de la ville",
                   "bilan", "contrat de ville", "anct", "annexe", "contribution", "habitants"]
#: Advertising and phishing.
_SPAM_CUES = ["inscrivez vous", "inscriptions ouvertes", "webinaire", "se desinscrire", "se desabonner",
              "ne plus recevoir", "cliquez ici", "tarif", "ht par participant", "offre speciale", "newsletter",
              "votre compte", "quota", "mot de passe a expire", "gagnez"]
_ANNOUNCES_FILES = ["ci joint", "vous trouverez", "veuillez trouver", "je vous transmets", "nous vous transmettons",
                    "je vous adresse", "vous adresse", "en piece jointe", "en pj", "je vous renvoie", "voici"]
_IMAGE_FORMATS = ("png", "jpg", "gif", "tiff", "bmp")


@dataclass(frozen=True)
class ContentClues:
    """What other extractors found in the content: annex tables, filled
    questionnaires. They weigh more than words."""

    #: Annex rows were read (a blank template attached to a question has none).
    annex_tables: bool = False
    survey_responses: int = 0


@dataclass(frozen=True)
class KindDecision:
    """A message's kind, how sure the reading is (0-1) and what decided it."""

    kind: Kind
    confidence: float
    reason: str


def classify_kind(parsed: ParsedMessage, clues: ContentClues | None = None) -> Kind:
    return judge_kind(parsed, clues).kind


def judge_kind(parsed: ParsedMessage, clues: ContentClues | None = None) -> KindDecision:
    """The kind, headers first (they are written by machines and do not
    lie), then the content."""
    from_headers = kind_from_envelope(parsed)
    if from_headers is not None:
        return KindDecision(from_headers, 0.98, "headers")
    return judge_content(parsed, clues or ContentClues())


def kind_from_envelope(parsed: ParsedMessage) -> Kind | None:
    envelope = parsed.envelope
    headers = envelope.headers
    subject = fold(envelope.subject)
    sender = (sender_address(envelope) or "").lower()
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


def judge_content(parsed: ParsedMessage, clues: ContentClues = ContentClues()) -> KindDecision:
    """What the message does: carries annex rows or a filled questionnaire,
    asks (a question in any words, no contribution content), announces or
    acknowledges, or sends a contribution."""
    subject = fold(parsed.envelope.subject)
    raw_own = own_text(parsed.body.text)
    own = fold(raw_own)
    names = " ".join(fold(a.filename) for a in parsed.attachments)
    documents = [a for a in parsed.attachments if a.format not in _IMAGE_FORMATS and not a.inline]
    official = is_official_sender(parsed)
    everything = f"{subject} {own} {names}"

    if not official and (_has(everything, _SPAM_CUES) or not _has(everything, _CAMPAIGN_WORDS + _SURVEY_CUES)):
        return KindDecision(Kind.SPAM, 0.7, "not about the campaign" if not _has(everything, _SPAM_CUES) else
                            "advertising or phishing words")
    contribution_named = _has(subject + " " + names, ["annexe 1", "annexe1", "annexe 2", "annexe2", "contribution",
                                                      "compte rendu", "bilan participation", "bilan des demarches"])
    if not clues.annex_tables and (clues.survey_responses or (not official and _is_survey(subject, own, names))):
        if not contribution_named or clues.survey_responses:
            return KindDecision(Kind.SURVEY_RESPONSE, 0.9 if clues.survey_responses else 0.75, "questionnaire")
    asks = _has(own, _QUESTION_CUES) or _has(subject, _QUESTION_CUES) or subject.startswith("question")
    sends = bool(documents) and _has(subject + " " + own[:2000], _ANNOUNCES_FILES)
    if asks and not sends and not clues.annex_tables:
        return KindDecision(Kind.QUESTION, 0.8, "asks, announces or acknowledges")
    if not documents and not clues.annex_tables and asks_without_contributing(raw_own):
        return KindDecision(Kind.QUESTION, 0.75, "a short message that asks and carries no contribution")
    if documents and not clues.annex_tables and _say_little(documents) and asks_without_contributing(raw_own):
        return KindDecision(Kind.QUESTION, 0.65, "asks about files that hold next to nothing (a blank template)")
    if documents or clues.annex_tables:
        return KindDecision(Kind.CONTRIBUTION, 0.95 if clues.annex_tables else 0.85, "sends documents")
    if len(own) > 1500:
        return KindDecision(Kind.CONTRIBUTION, 0.75, "a contribution written in the message")
    if _has(subject, _CONTRIBUTION_CUES):
        return KindDecision(Kind.CONTRIBUTION, 0.6, "the subject names a contribution")
    if "?" in own:
        return KindDecision(Kind.QUESTION, 0.6, "a question mark")
    if official:
        return KindDecision(Kind.CONTRIBUTION, 0.5, "a state service writing")
    return KindDecision(Kind.QUESTION, 0.5, "nothing sent")


#: A message longer than this (its own words, without greeting and
#: signature) says more than a question does.
QUESTION_MAX_CHARS = 900
#: What a question's context may take besides the questions themselves.
QUESTION_CONTEXT_CHARS = 450


def asks_without_contributing(own: str) -> bool:
    """A short text that asks something, whatever its words, and has no
    contribution content: its sentences are few and at least one is a
    question (see `questions.is_question`)."""
    from bilan.nlp.questions import prose_of, questions_in

    prose = prose_of(own)
    if not prose or len(prose) > QUESTION_MAX_CHARS:
        return False
    questions = questions_in(prose)
    # a contribution written in a few lines may end with a question ("pouvez-vous accuser réception ?")
    return bool(questions) and len(prose) - sum(len(q) for q in questions) <= QUESTION_CONTEXT_CHARS


#: Files whose text together is shorter than this hold no contribution: a
#: blank template (its title and header row), a form sent back to ask about it.
EMPTY_FILES_MAX_CHARS = 400


def _say_little(documents: list[ParsedAttachment]) -> bool:
    """Every file was read and all of them together hold next to no text.
    A file that could not be read (encrypted, corrupt) may hold anything."""
    if any(a.status is not ParseStatus.OK or a.document is None for a in documents):
        return False
    return sum(len(a.document.text) for a in documents) < EMPTY_FILES_MAX_CHARS


def is_official_sender(parsed: ParsedMessage) -> bool:
    """A state service (a `.gouv.fr` address) or a person signing as one."""
    address = sender_address(parsed.envelope) or ""
    if address.endswith(".gouv.fr"):
        return True
    from bilan.nlp.gazetteer import get_state_service_finder

    return bool(get_state_service_finder().find(signature_block(parsed.body.text)))


def _is_survey(subject: str, body: str, names: str) -> bool:
    return _has(subject, _SURVEY_CUES) or _has(names, ["annexe 3", "annexe3", "questionnaire"]) or (
        _has(body[:3000], _SURVEY_CUES) and not _has(body[:3000], ["prefecture", "prefet"])
    )


def _has(text: str, cues: list[str]) -> bool:
    return any(re.search(rf"\b{re.escape(cue)}\b", text) for cue in cues)
