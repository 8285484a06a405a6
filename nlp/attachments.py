"""What each attached file is: annexe1, annexe2, annexe3 (a filled
questionnaire), compte_rendu (a meeting report), contribution (a written
contribution or note), signature_image, other.

What a file contains decides first (an annex table, a questionnaire, a
report's title); its name next; a file that could not be read (a scan, an
encrypted workbook) is judged by its name and by the kind of message that
carries it.
"""

from __future__ import annotations

import re

from bilan.nlp.annex_tables import AnnexTables
from bilan.nlp.kind import Kind
from bilan.nlp.survey import SurveyResponse
from bilan.nlp.text import fold
from bilan.parsers.document import BlockKind, Document
from bilan.parsers.message import ParsedAttachment, ParsedMessage

ROLES = ("annexe1", "annexe2", "annexe3", "contribution", "compte_rendu", "signature_image", "other")
IMAGES = ("png", "jpg", "gif", "tiff", "bmp")
CONTAINERS = ("zip", "eml", "msg", "rar", "7z")
DOCUMENTS = ("pdf", "docx", "doc", "odt", "rtf", "txt", "html", "pptx")
#: The sniffer's format for a file with nothing in it (0 bytes, blanks, an empty archive).
EMPTY = "empty"
#: Signature logos are small; photos of a meeting are not.
SIGNATURE_IMAGE_MAX_BYTES = 200_000

_NAME_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("annexe1", re.compile(r"\bannexe\s*(?:n\s*o?\s*)?1\b|\bconseils? citoyens?\b.*\bbilan\b|\bbilan\b.*\bconseils? citoyens\b")),
    ("annexe2", re.compile(r"\bannexe\s*(?:n\s*o?\s*)?2\b|\bpratiques participatives\b")),
    ("annexe3", re.compile(r"\bannexe\s*(?:n\s*o?\s*)?3\b|\bquestionnaires?\b|\benquete\b|\breponses?\b")),
    ("compte_rendu", re.compile(r"\bcompte rendu\b|\bcr\b|\breunion\b|\brencontre\b|\bproces verbal\b")),
    ("contribution", re.compile(r"\bcontribution\b|\bbilan\b|\bnote\b|\bsynthese\b|\brapport\b")),
)


def attachment_roles(
    parsed: ParsedMessage, kind: Kind, annexes: AnnexTables, surveys: list[SurveyResponse]
) -> dict[int, str]:
    survey_files = {s.attachment for s in surveys}
    return {
        a.index: attachment_role(a, kind, annexes.found_in.get(a.index, set()), a.index in survey_files)
        for a in parsed.attachments
    }


def attachment_role(attachment: ParsedAttachment, kind: Kind, annexes: set[int], questionnaire: bool) -> str:
    fmt = attachment.format
    name = _name(attachment.filename)
    if fmt in CONTAINERS or fmt == EMPTY:
        return "other"  # an empty file is no annex, whatever its name says
    if fmt in IMAGES:
        small = attachment.size <= SIGNATURE_IMAGE_MAX_BYTES
        if (attachment.inline or attachment.content_id or re.match(r"image\d+", name)) and small:
            return "signature_image"
        return "other"
    if annexes:
        return "annexe1" if 1 in annexes and (2 not in annexes or _named(name) != "annexe2") else "annexe2"
    if questionnaire:
        return "annexe3"
    from_content = _role_from_content(attachment.document) if attachment.document is not None else None
    if from_content:
        return from_content
    named = _named(name)
    if named:
        return named
    if kind is Kind.SURVEY_RESPONSE:
        return "annexe3"
    if fmt in DOCUMENTS or fmt in ("xlsx", "xlsm", "xlsb", "xls", "spreadsheetml", "ods"):
        return "contribution" if kind is Kind.CONTRIBUTION else "other"
    return "other"


def _role_from_content(document: Document) -> str | None:
    """A report or a contribution says so in its title."""
    opening = [b.text for b in document.blocks[:4] if b.kind is not BlockKind.TABLE and b.text]
    head = fold(" ".join(opening))[:400]
    if re.search(r"\bannexe\s*3\b|\benquete aupres des membres\b", head):
        return "annexe3"
    if re.search(r"\bcompte rendu\b|\bproces verbal\b|\breleve de conclusions\b", head):
        return "compte_rendu"
    if re.search(r"\bcontribution\b|\bbilan des demarches\b|\bnote\b", head):
        return "contribution"
    if _records_a_meeting(document):
        return "compte_rendu"
    return None


#: The labels a meeting's record opens with: when, where, who came, what was discussed.
_RECORD_LABELS = {
    "date": r"date(?: de la (?:rencontre|reunion|seance))?",
    "place": r"lieu",
    "people": r"participants?|presents?|personnes presentes|excuses?|invites?|animee? par|animation",
    "agenda": r"ordre du jour|deroule|deroulement",
}
_RECORD_LABEL = re.compile(r"^(?:" + "|".join(f"(?P<{key}>{pattern})" for key, pattern in _RECORD_LABELS.items())
                           + r")\s*(?::|$)")


def _records_a_meeting(document: Document) -> bool:
    """A document that says when and where people met, or who came and what
    was discussed, whatever its title: at least two of the labels of a
    meeting's record (`Date :`, `Lieu :`, `Participants :`, `Ordre du jour`),
    as lines or as a table's header, near its start."""
    found: set[str] = set()
    for block in document.blocks[:40]:
        if block.kind is BlockKind.TABLE and block.rows:
            cells = [fold(str(cell)) for cell in block.rows[0] if cell is not None]
            cells += [fold(str(row[0])) for row in block.rows[1:8] if row and row[0] is not None]
        else:
            cells = [fold(line) for line in (block.text or "").splitlines()]
        for cell in cells:
            match = _RECORD_LABEL.match(cell.strip())
            if match:
                found.add(match.lastgroup)
        if len(found) >= 2:
            return True
    return False


def _named(name: str) -> str | None:
    for role, pattern in _NAME_CUES:
        if pattern.search(name):
            return role
    return None


def _name(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0]
    stem = re.sub(r"([a-z])([A-Z0-9])", r"\1 \2", stem)  # Annexe1Conseils -> Annexe 1 Conseils
    return fold(re.sub(r"(?<=[a-zA-Z])(?=\d)", " ", stem).replace("_", " "))
