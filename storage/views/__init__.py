"""The analyst views as analysts and spreadsheets see them: for each view,
its name, sheet title, description and columns (with their French headers).

The SQL of each view is the file `<name>.sql` beside this module, and
nothing else: `storage/schema.py` creates the views from these files after
the schema migrations (which never see a view), and again only when a
file's text changed. `current_message.sql` is a view the others read
(what "current version" means), not a sheet of its own; so are
`active_correction.sql` and the `effective_*.sql` views, which lay the
corrections people made over what extraction found
(`storage/corrections.py`): the sheets read messages, their departments,
annex rows and recommendations through them, never from the tables.

Everything downstream reads this registry: `bilan export` writes one sheet
or file per view, the README's "Querying the warehouse" section documents
them and a test runs its examples. Adding a view is adding its `.sql` file
and one `AnalystView` below (and a README example); no migration.

The SQL is written once for SQLite and PostgreSQL alike, which rules out a few
things: no `FILTER`, no `string_agg`/`group_concat`, no `sum()` (numeric on
PostgreSQL), no boolean results (0/1 integers instead), no time zone
arithmetic (the campaign's `closes_at` is stored in UTC for that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from bilan.storage.tabular import Column, Sheet, typed_rows

#: The message a row comes from, its department and when it arrived: the
#: columns that let analysts join or sort any per-message view.
MESSAGE_COLUMNS = (
    Column("message_id", "Message (n°)", "int"),
    Column("department_code", "Code département"),
    Column("department_name", "Département"),
    Column("received_at", "Reçu le", "datetime"),
)

#: How coded values read in the spreadsheets.
STATUS_LABELS = {"on_time": "à l'heure", "late": "en retard", "missing": "sans réponse", "exempt": "dispensé"}
KIND_LABELS = {
    "contribution": "contribution",
    "survey_response": "réponse au questionnaire",
    "question": "question",
    "auto_reply": "réponse automatique",
    "read_receipt": "accusé de lecture",
    "bounce": "non-distribution",
    "spam": "indésirable",
}
PARSE_STATUS_LABELS = {
    "encrypted": "protégé par mot de passe",
    "corrupt": "endommagé ou incomplet",
    "too_large": "trop volumineux",
    "unsupported": "format non pris en charge",
    "scanned": "image sans texte (scan)",
    "timeout": "lecture trop longue",
    "empty": "fichier vide",
}
ROLE_LABELS = {
    "prefecture": "préfecture",
    "sous_prefecture": "sous-préfecture",
    "ddets": "DDETS",
    "sgar": "SGAR (préfecture de région)",
    "delegue_prefet": "délégué du préfet",
    "conseil_citoyen_member": "membre d'un conseil citoyen",
    "association": "association",
    "other": "autre",
}
SENDER_CHECK_LABELS = {
    "verified": "authentifié",
    "expected_domain": "domaine attendu (non authentifié)",
    "unexpected_domain": "domaine inattendu",
    "authentication_failed": "authentification en échec",
}
#: Results of Authentication-Results (RFC 8601) as they read in French.
AUTH_RESULT_LABELS = {
    "pass": "réussi",
    "fail": "échec",
    "softfail": "échec partiel",
    "neutral": "neutre",
    "none": "absent",
    "temperror": "erreur temporaire",
    "permerror": "erreur permanente",
    "policy": "refusé par la politique",
}
#: What to do about a file that could not be read (French, for the analysts).
PARSE_STATUS_ADVICE = {
    "encrypted": "Fichier protégé : demander au département de le renvoyer sans mot de passe.",
    "corrupt": "Fichier endommagé ou incomplet : demander au département de le renvoyer.",
    "too_large": "Fichier trop volumineux pour être lu : l'ouvrir à la main, ou relever la limite (BILAN_MAX_ATTACHMENT_BYTES).",
    "unsupported": "Format non pris en charge : l'ouvrir à la main, ou demander un PDF, un document Word ou un tableur.",
    "scanned": "Image sans texte lisible : l'ouvrir à la main, ou demander le document d'origine.",
    "timeout": "Lecture interrompue car trop longue : l'ouvrir à la main.",
}
ATTACHMENT_ROLE_LABELS = {
    "contribution": "contribution écrite",
    "compte_rendu": "compte rendu de rencontre",
    "annexe1": "Annexe 1",
    "annexe2": "Annexe 2",
    "annexe3": "Annexe 3 (questionnaire)",
    "signature_image": "image de signature",
    "other": "autre",
}
#: Where a recommendation or finding was read, when it is not a file.
SOURCE_FILE_LABELS = {"body": "corps du message"}
PROBLEM_LABELS = {
    "processing_failed": "échec du traitement",
    "not_processed": "pas encore traité",
    "needs_review": "à vérifier",
}


@dataclass(frozen=True)
class AnalystView:
    name: str
    #: Sheet name in XLSX exports (French, at most 31 characters).
    title: str
    #: What a row is, for the README and the export's documentation.
    description: str
    columns: tuple[Column, ...]
    order_by: str

    def select(self) -> str:
        names = ", ".join(column.name for column in self.columns)
        return f"SELECT {names} FROM {self.name} ORDER BY {self.order_by}"


DEPARTMENT_STATUS = AnalystView(
    name="department_status",
    title="Départements",
    description="one row per department and campaign: status (on_time, late, missing, exempt), first "
    "contribution, modality, annexes received, messages, errors, files read only in part (a limit "
    "of pages or rows cut them), review flags, reminders sent, whether a person excused it (exempt)",
    order_by="campaign_id, department_code",
    columns=(
        Column("campaign_id", "Campagne (n°)", "int"),
        Column("department_code", "Code"),
        Column("department_name", "Département"),
        Column("region", "Région"),
        Column("status", "Statut", labels=STATUS_LABELS),
        Column("first_contribution_at", "Première contribution", "datetime"),
        Column("modality", "Modalité", "int"),
        Column("annexe1_received", "Annexe 1 reçue", "bool"),
        Column("annexe2_received", "Annexe 2 reçue", "bool"),
        Column("annexe3_received", "Annexe 3 reçue", "bool"),
        Column("messages", "Messages", "int"),
        Column("contributions", "Contributions", "int"),
        Column("survey_answers", "Réponses au questionnaire", "int"),
        Column("messages_with_errors", "Messages avec erreur", "int"),
        Column("unreadable_files", "Fichiers illisibles", "int"),
        Column("files_read_in_part", "Fichiers lus en partie", "int"),
        Column("flagged_for_review", "Messages à vérifier", "int"),
        Column("reminders_sent", "Relances envoyées", "int"),
        Column("last_reminder_at", "Dernière relance", "datetime"),
        Column("doubtful_senders", "Contributions d'expéditeur douteux", "int"),
        Column("exempt", "Dispensé", "bool"),
    ),
)

CAMPAIGN_STATUS = AnalystView(
    name="campaign_status",
    title="Campagne",
    description="one row per campaign: deadline, departments on time, late, missing and exempt, "
    "messages, contributions, errors and review flags over the whole mailbox",
    order_by="campaign_id",
    columns=(
        Column("campaign_id", "Campagne (n°)", "int"),
        Column("campaign", "Campagne"),
        Column("deadline", "Date limite", "date"),
        Column("departments", "Départements", "int"),
        Column("on_time", "À l'heure", "int"),
        Column("late", "En retard", "int"),
        Column("missing", "Sans réponse", "int"),
        Column("messages", "Messages reçus", "int"),
        Column("contributions", "Contributions", "int"),
        Column("messages_not_processed", "Messages non traités", "int"),
        Column("messages_with_errors", "Messages avec erreur", "int"),
        Column("unreadable_files", "Fichiers illisibles", "int"),
        Column("flagged_for_review", "Messages à vérifier", "int"),
        Column("exempt", "Dispensés", "int"),
    ),
)

CURRENT_CONTRIBUTION = AnalystView(
    name="current_contribution",
    title="Contributions",
    description="one row per contribution and department, current versions only: a message "
    "superseded by another (corrected version, re-sent file) is left out; complements stay",
    order_by="received_at NULLS LAST, message_id, department_code NULLS LAST",
    columns=(
        Column("message_id", "Message (n°)", "int"),
        Column("department_code", "Code département"),
        Column("department_name", "Département"),
        Column("region", "Région"),
        Column("received_at", "Reçu le", "datetime"),
        Column("sender", "Expéditeur"),
        Column("sender_role", "Rôle de l'expéditeur", labels=ROLE_LABELS),
        Column("subject", "Objet"),
        Column("modality", "Modalité", "int"),
        Column("meeting_date", "Date de la rencontre", "date"),
        Column("meeting_participants", "Participants", "int"),
        Column("supersedes_message_id", "Remplace le message (n°)", "int"),
        Column("complements_message_id", "Complète le message (n°)", "int"),
        Column("files", "Fichiers", "int"),
        Column("unreadable_files", "Fichiers illisibles", "int"),
        Column("needs_review", "À vérifier", "bool"),
        Column("review_reason", "Motif de vérification"),
        Column("department_confidence", "Confiance (département)", "float"),
        Column("sender_role_confidence", "Confiance (rôle)", "float"),
        Column("modality_confidence", "Confiance (modalité)", "float"),
        Column("sender_check", "Contrôle de l'expéditeur", labels=SENDER_CHECK_LABELS),
        Column("dkim_result", "DKIM", labels=AUTH_RESULT_LABELS),
        Column("spf_result", "SPF", labels=AUTH_RESULT_LABELS),
        Column("dmarc_result", "DMARC", labels=AUTH_RESULT_LABELS),
        Column("arc_result", "ARC (transfert)", labels=AUTH_RESULT_LABELS),
    ),
)

UNREADABLE_FILE = AnalystView(
    name="unreadable_file",
    title="Fichiers illisibles",
    description="one row per file that could not be read (and department of its message): "
    "encrypted, corrupt, too large, unsupported, scanned without text, timed out, empty",
    order_by="received_at NULLS LAST, message_id, attachment_id, department_code NULLS LAST",
    columns=(
        Column("attachment_id", "Fichier (n°)", "int"),
        *MESSAGE_COLUMNS,
        Column("sender", "Expéditeur"),
        Column("subject", "Objet"),
        Column("kind", "Type de message", labels=KIND_LABELS),
        Column("filename", "Fichier"),
        Column("inside", "Contenu dans"),
        Column("format", "Format"),
        Column("size", "Taille (octets)", "int"),
        Column("role", "Rôle", labels=ATTACHMENT_ROLE_LABELS),
        Column("parse_status", "Problème", labels=PARSE_STATUS_LABELS),
        Column("advice", "Que faire", labels=PARSE_STATUS_ADVICE),
        Column("parse_error", "Détail technique (message du lecteur, en anglais)"),
    ),
)

REVIEW_QUEUE = AnalystView(
    name="review_queue",
    title="À vérifier",
    description="one row per message a person should look at: processing failed, not "
    "processed yet, or flagged for review by extraction (with the reason) and not yet marked "
    "checked by a person (a message_review correction)",
    order_by="received_at NULLS LAST, message_id",
    columns=(
        Column("message_id", "Message (n°)", "int"),
        Column("received_at", "Reçu le", "datetime"),
        Column("sender", "Expéditeur"),
        Column("subject", "Objet"),
        Column("kind", "Type de message", labels=KIND_LABELS),
        Column("problem", "Problème", labels=PROBLEM_LABELS),
        Column("detail", "Détail"),
    ),
)

#: What opens every annex row: the row, its message and department.
ANNEX_HEAD_COLUMNS = (Column("row_id", "Ligne (n°)", "int"), *MESSAGE_COLUMNS)
#: How sure the reader is of an annex row: the lowest confidence of its cells.
ANNEX_CONFIDENCE = Column("confidence", "Confiance (ligne)", "float")
#: Where an annex row was read: file, sheet (or page) and row.
ANNEX_SOURCE_COLUMNS = (
    Column("source_file", "Fichier source"),
    Column("source_sheet", "Feuille"),
    Column("source_page", "Page", "int"),
    Column("source_row", "Ligne source", "int"),
)


def annex_view(name: str, title: str, description: str, order_by: str, fields: tuple[Column, ...]) -> AnalystView:
    """A view of `<name>_row` (current contributions only, `<name>.sql`):
    its own fields between the head and source columns every annex view shares."""
    return AnalystView(
        name=name,
        title=title,
        description=description,
        order_by=order_by,
        columns=ANNEX_HEAD_COLUMNS + fields + ANNEX_SOURCE_COLUMNS + (ANNEX_CONFIDENCE,),
    )


ANNEXE1_ROW = annex_view(
    name="annexe1",
    title="Annexe 1",
    description="one row per conseil citoyen reported in an Annexe 1 of a current contribution, "
    "typed, with the file, sheet, page and row it was read from",
    order_by="department_code NULLS LAST, commune NULLS LAST, qpv_code NULLS LAST, message_id, row_id",
    fields=(
        Column("commune", "Commune"),
        Column("qpv_code", "Code QPV"),
        Column("qpv_nom", "Quartier prioritaire"),
        Column("conseil_constitue", "Conseil constitué", "bool"),
        Column("date_creation", "Date de création"),
        Column("membres_habitants", "Membres habitants", "int"),
        Column("membres_acteurs_locaux", "Membres acteurs locaux", "int"),
        Column("actif", "Actif", "bool"),
        Column("structure_porteuse", "Structure porteuse"),
        Column("participation_pilotage", "Participation au pilotage", "bool"),
        Column("formation_suivie", "Formation suivie", "bool"),
        Column("budget_annuel_eur", "Budget annuel (€)", "float"),
    ),
)

ANNEXE2_TYPE_LABELS = {
    "table_de_quartier": "table de quartier",
    "fph": "fonds de participation des habitants",
    "maison_du_projet": "maison du projet",
    "budget_participatif": "budget participatif",
    "autre": "autre",
}

ANNEXE2_ROW = annex_view(
    name="annexe2",
    title="Annexe 2",
    description="one row per other participatory practice (table de quartier, FPH, maison du "
    "projet, budget participatif, other) reported in an Annexe 2 of a current contribution",
    order_by="department_code NULLS LAST, type NULLS LAST, commune NULLS LAST, message_id, row_id",
    fields=(
        Column("type", "Type de démarche", labels=ANNEXE2_TYPE_LABELS),
        Column("commune", "Commune"),
        Column("qpv_code", "Code QPV"),
        Column("porteur", "Porteur"),
        Column("annee_creation", "Année de création", "int"),
        Column("habitants_mobilises", "Habitants mobilisés", "int"),
    ),
)

SURVEY_ANSWER = AnalystView(
    name="survey_answer_public",
    title="Questionnaires (anonymes)",
    description="one row per answer to the Annexe 3 questionnaire, WITHOUT personal data: "
    "answers flagged as personal (names, phones, e-mails, addresses) are left out",
    order_by="department_code NULLS LAST, response_id, number",
    columns=(
        Column("response_id", "Questionnaire (n°)", "int"),
        *MESSAGE_COLUMNS,
        Column("conseil_citoyen", "Conseil citoyen"),
        Column("number", "Question (n°)", "int"),
        Column("topic", "Thème de la question"),
        Column("question", "Question"),
        Column("answer", "Réponse"),
    ),
)

THEME_LABELS = {
    "formation": "formation",
    "moyens": "moyens",
    "gouvernance": "gouvernance",
    "renouvellement": "renouvellement",
    "articulation": "articulation des instances",
    "communication": "communication",
    "autonomie": "autonomie",
    "accompagnement": "accompagnement",
    "publics": "publics éloignés",
    "numerique": "numérique",
    "reconnaissance": "reconnaissance",
}

RECOMMENDATIONS = AnalystView(
    name="recommendations",
    title="Préconisations",
    description="one row per recommendation and department: from current contributions and from "
    "members' survey answers, as written, with its theme and where it was found",
    order_by="department_code NULLS LAST, message_id, position",
    columns=(
        Column("recommendation_id", "Préconisation (n°)", "int"),
        Column("message_id", "Message (n°)", "int"),
        Column("position", "Ordre dans le message", "int"),
        Column("source_kind", "Source", labels=KIND_LABELS),
        Column("department_code", "Code département"),
        Column("department_name", "Département"),
        Column("region", "Région"),
        Column("received_at", "Reçu le", "datetime"),
        Column("theme", "Thème", labels=THEME_LABELS),
        Column("text", "Préconisation"),
        Column("file", "Fichier source", labels=SOURCE_FILE_LABELS),
        Column("page", "Page", "int"),
        Column("sheet", "Feuille"),
        Column("paragraph", "Paragraphe", "int"),
        Column("confidence", "Confiance (préconisation)", "float"),
        Column("theme_confidence", "Confiance (thème)", "float"),
    ),
)

FINDING_LABELS = {"strength": "atout ou réussite", "weakness": "fragilité ou difficulté"}

STRENGTHS_WEAKNESSES = AnalystView(
    name="strengths_weaknesses",
    title="Atouts et fragilités",
    description="one row per strength (atouts, réussites) or weakness (fragilités, difficultés) "
    "of a current contribution and department, as written, with where it was found",
    order_by="department_code NULLS LAST, message_id, nature, position",
    columns=(
        Column("nature", "Nature", labels=FINDING_LABELS),
        Column("item_id", "Élément (n°)", "int"),
        Column("message_id", "Message (n°)", "int"),
        Column("position", "Ordre dans le message", "int"),
        Column("department_code", "Code département"),
        Column("department_name", "Département"),
        Column("region", "Région"),
        Column("received_at", "Reçu le", "datetime"),
        Column("text", "Texte"),
        Column("file", "Fichier source", labels=SOURCE_FILE_LABELS),
        Column("page", "Page", "int"),
        Column("paragraph", "Paragraphe", "int"),
    ),
)


#: Every analyst view, in the order of the export's sheets.
VIEWS: tuple[AnalystView, ...] = (
    DEPARTMENT_STATUS,
    CAMPAIGN_STATUS,
    CURRENT_CONTRIBUTION,
    UNREADABLE_FILE,
    REVIEW_QUEUE,
    ANNEXE1_ROW,
    ANNEXE2_ROW,
    SURVEY_ANSWER,
    RECOMMENDATIONS,
    STRENGTHS_WEAKNESSES,
)

#: Views that other views read but that are no sheet of their own: what a
#: current version is, and the corrections in force laid over extraction
#: (`storage/corrections.py`).
SUPPORT_VIEWS = (
    "current_message",
    "active_correction",
    "effective_message",
    "effective_message_department",
    "effective_annexe1_row",
    "effective_annexe2_row",
    "effective_recommendation",
)


def view_named(name: str) -> AnalystView:
    for view in VIEWS:
        if view.name == name:
            return view
    raise KeyError(f"no analyst view named {name!r}")


def read_view(connection: Connection, view: AnalystView) -> Sheet:
    rows = connection.execute(text(view.select())).all()
    return Sheet(view.name, view.title, view.columns, typed_rows(rows, view.columns))


def counts_by(
    connection: Connection, view_name: str, columns: Sequence[str], distinct: str | None = None
) -> list[tuple]:
    """`SELECT columns, count(*) FROM view GROUP BY columns` over an analyst
    view. `distinct` counts each value of that column once per group: a view
    with one row per item *and department* counts an item sent for two
    departments once (`distinct="recommendation_id"`)."""
    view_named(view_name)  # only the registry's names reach the SQL below
    names = ", ".join(columns)
    counted = f"count(DISTINCT {distinct})" if distinct else "count(*)"
    query = f"SELECT {names}, {counted} FROM {view_name} GROUP BY {names}" if columns else f"SELECT {counted} FROM {view_name}"
    return [tuple(row) for row in connection.execute(text(query))]
