"""The analyst views: one registry that says, for each view, its name, its SQL
and its columns (with the French headers of the spreadsheets).

Everything downstream reads this registry: the Alembic migrations create the
views from it, `bilan export` writes one sheet or file per view, the README's
"Querying the warehouse" section documents them and a test runs its examples.
Adding a view is adding one `AnalystView` below and one migration that calls
`replace_views()`. A view that reads a column added by a later migration
names it in `requires` as `table.column`: the earlier migrations, which call
today's `replace_views()`, then leave that view out until the column exists.

The SQL is written once for SQLite and PostgreSQL alike, which rules out a few
things: no `FILTER`, no `string_agg`/`group_concat`, no `sum()` (numeric on
PostgreSQL), no boolean results (0/1 integers instead), no time zone
arithmetic (the campaign's `closes_at` is stored in UTC for that).

Views are "replaceable objects": `replace_views()` drops and recreates them
all. A migration that rebuilds a table the views read (SQLite batch mode
copies the table and renames it, which fails while a view refers to it) must
call `drop_views()` first and `replace_views()` last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, text

from bilan.storage.tabular import Column, Sheet, typed_rows


#: The message a row comes from, its department and when it arrived: the
#: columns that let analysts join or sort any per-message view.
MESSAGE_COLUMNS = (
    Column("message_id", "Message (n°)", "int"),
    Column("department_code", "Code département"),
    Column("department_name", "Département"),
    Column("received_at", "Reçu le", "datetime"),
)

#: The confidence columns of `message` (migration 0006), for `requires`.
MESSAGE_CONFIDENCE = ("message.kind_confidence", "message.sender_role_confidence", "message.modality_confidence")

#: The sender check of `message` (migration 0007), for `requires`.
MESSAGE_SENDER_CHECK = ("message.sender_check", "message.dmarc_result")

#: How coded values read in the spreadsheets.
STATUS_LABELS = {"on_time": "à l'heure", "late": "en retard", "missing": "sans réponse"}
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
    sql: str
    columns: tuple[Column, ...]
    #: Tables and views this view reads, and `table.column` for columns added
    #: after their table: it is created only once they all exist.
    requires: tuple[str, ...]
    order_by: str

    def select(self) -> str:
        names = ", ".join(column.name for column in self.columns)
        return f"SELECT {names} FROM {self.name} ORDER BY {self.order_by}"


DEPARTMENT_STATUS = AnalystView(
    name="department_status",
    title="Départements",
    description="one row per department and campaign: status (on_time, late, missing), first "
    "contribution, modality, annexes received, messages, errors, files read only in part (a limit "
    "of pages or rows cut them), review flags, reminders sent",
    requires=("campaign", "department", "message", "message_department", "attachment", "reminder", *MESSAGE_SENDER_CHECK),
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
    ),
    sql="""
SELECT
    c.id AS campaign_id,
    d.code AS department_code,
    d.name AS department_name,
    d.region AS region,
    CASE
        WHEN firsts.first_at IS NULL THEN 'missing'
        WHEN firsts.first_at < c.closes_at THEN 'on_time'
        ELSE 'late'
    END AS status,
    firsts.first_at AS first_contribution_at,
    (
        SELECT m.modality
        FROM message m JOIN message_department md ON md.message_id = m.id
        WHERE md.department_code = d.code AND m.kind = 'contribution' AND m.modality IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM message later WHERE later.supersedes_id = m.id)
        ORDER BY m.received_at DESC, m.id DESC
        LIMIT 1
    ) AS modality,
    CASE WHEN EXISTS (
        SELECT 1 FROM attachment a
        JOIN message m ON m.id = a.message_id
        JOIN message_department md ON md.message_id = m.id
        WHERE md.department_code = d.code AND m.kind = 'contribution'
          AND a.role = 'annexe1' AND a.parse_status = 'ok'
    ) THEN 1 ELSE 0 END AS annexe1_received,
    CASE WHEN EXISTS (
        SELECT 1 FROM attachment a
        JOIN message m ON m.id = a.message_id
        JOIN message_department md ON md.message_id = m.id
        WHERE md.department_code = d.code AND m.kind = 'contribution'
          AND a.role = 'annexe2' AND a.parse_status = 'ok'
    ) THEN 1 ELSE 0 END AS annexe2_received,
    CASE WHEN EXISTS (
        SELECT 1 FROM attachment a
        JOIN message_department md ON md.message_id = a.message_id
        WHERE md.department_code = d.code AND a.role = 'annexe3' AND a.parse_status = 'ok'
    ) OR COALESCE(mail.survey_answers, 0) > 0 THEN 1 ELSE 0 END AS annexe3_received,
    COALESCE(mail.messages, 0) AS messages,
    COALESCE(firsts.contributions, 0) AS contributions,
    COALESCE(mail.survey_answers, 0) AS survey_answers,
    COALESCE(mail.messages_with_errors, 0) AS messages_with_errors,
    COALESCE(files.unreadable_files, 0) AS unreadable_files,
    COALESCE(files.files_read_in_part, 0) AS files_read_in_part,
    COALESCE(mail.flagged_for_review, 0) AS flagged_for_review,
    COALESCE(reminded.reminders_sent, 0) AS reminders_sent,
    reminded.last_reminder_at AS last_reminder_at,
    COALESCE(firsts.doubtful_senders, 0) AS doubtful_senders
FROM campaign c
CROSS JOIN department d
LEFT JOIN (
    SELECT md.department_code, min(m.received_at) AS first_at, count(*) AS contributions,
        count(CASE WHEN m.sender_check IN ('unexpected_domain', 'authentication_failed') THEN 1 END)
            AS doubtful_senders
    FROM message_department md JOIN message m ON m.id = md.message_id
    WHERE m.kind = 'contribution'
    GROUP BY md.department_code
) firsts ON firsts.department_code = d.code
LEFT JOIN (
    SELECT
        md.department_code,
        count(*) AS messages,
        count(CASE WHEN m.kind = 'survey_response' THEN 1 END) AS survey_answers,
        count(CASE WHEN m.process_error IS NOT NULL OR EXISTS (
            SELECT 1 FROM attachment a WHERE a.message_id = m.id AND a.parse_status <> 'ok'
        ) THEN 1 END) AS messages_with_errors,
        count(CASE WHEN m.needs_review THEN 1 END) AS flagged_for_review
    FROM message_department md JOIN message m ON m.id = md.message_id
    GROUP BY md.department_code
) mail ON mail.department_code = d.code
LEFT JOIN (
    SELECT
        md.department_code,
        count(CASE WHEN a.parse_status <> 'ok' THEN 1 END) AS unreadable_files,
        count(CASE WHEN a.parse_status = 'ok' AND a.parse_error IS NOT NULL THEN 1 END) AS files_read_in_part
    FROM message_department md JOIN attachment a ON a.message_id = md.message_id
    GROUP BY md.department_code
) files ON files.department_code = d.code
LEFT JOIN (
    SELECT r.campaign_id, r.department_code, count(*) AS reminders_sent, max(r.sent_at) AS last_reminder_at
    FROM reminder r
    WHERE r.status = 'sent'
    GROUP BY r.campaign_id, r.department_code
) reminded ON reminded.campaign_id = c.id AND reminded.department_code = d.code
""",
)

CAMPAIGN_STATUS = AnalystView(
    name="campaign_status",
    title="Campagne",
    description="one row per campaign: deadline, departments on time, late and missing, "
    "messages, contributions, errors and review flags over the whole mailbox",
    requires=("department_status",),
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
    ),
    sql="""
SELECT
    c.id AS campaign_id,
    c.name AS campaign,
    c.deadline AS deadline,
    (SELECT count(*) FROM department_status s WHERE s.campaign_id = c.id) AS departments,
    (SELECT count(*) FROM department_status s WHERE s.campaign_id = c.id AND s.status = 'on_time') AS on_time,
    (SELECT count(*) FROM department_status s WHERE s.campaign_id = c.id AND s.status = 'late') AS late,
    (SELECT count(*) FROM department_status s WHERE s.campaign_id = c.id AND s.status = 'missing') AS missing,
    (SELECT count(*) FROM message) AS messages,
    (SELECT count(*) FROM message m WHERE m.kind = 'contribution') AS contributions,
    (SELECT count(*) FROM message m WHERE m.processed_at IS NULL) AS messages_not_processed,
    (SELECT count(*) FROM message m WHERE m.process_error IS NOT NULL OR EXISTS (
        SELECT 1 FROM attachment a WHERE a.message_id = m.id AND a.parse_status <> 'ok'
    )) AS messages_with_errors,
    (SELECT count(*) FROM attachment a WHERE a.parse_status <> 'ok') AS unreadable_files,
    (SELECT count(*) FROM message m WHERE m.needs_review) AS flagged_for_review
FROM campaign c
""",
)

CURRENT_CONTRIBUTION = AnalystView(
    name="current_contribution",
    title="Contributions",
    description="one row per contribution and department, current versions only: a message "
    "superseded by another (corrected version, re-sent file) is left out; complements stay",
    requires=("message", "message_department", "department", "attachment", *MESSAGE_CONFIDENCE, *MESSAGE_SENDER_CHECK),
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
    sql="""
SELECT
    m.id AS message_id,
    md.department_code AS department_code,
    d.name AS department_name,
    d.region AS region,
    m.received_at AS received_at,
    m.sender AS sender,
    m.sender_role AS sender_role,
    m.subject AS subject,
    m.modality AS modality,
    m.meeting_date AS meeting_date,
    m.meeting_participants AS meeting_participants,
    m.supersedes_id AS supersedes_message_id,
    m.complements_id AS complements_message_id,
    (SELECT count(*) FROM attachment a WHERE a.message_id = m.id AND NOT a.inline) AS files,
    (SELECT count(*) FROM attachment a WHERE a.message_id = m.id AND a.parse_status <> 'ok') AS unreadable_files,
    CASE WHEN m.needs_review THEN 1 ELSE 0 END AS needs_review,
    m.review_reason AS review_reason,
    md.confidence AS department_confidence,
    m.sender_role_confidence AS sender_role_confidence,
    m.modality_confidence AS modality_confidence,
    m.sender_check AS sender_check,
    m.dkim_result AS dkim_result,
    m.spf_result AS spf_result,
    m.dmarc_result AS dmarc_result,
    m.arc_result AS arc_result
FROM message m
LEFT JOIN message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE m.kind = 'contribution'
  AND NOT EXISTS (SELECT 1 FROM message later WHERE later.supersedes_id = m.id)
""",
)

UNREADABLE_FILE = AnalystView(
    name="unreadable_file",
    title="Fichiers illisibles",
    description="one row per file that could not be read (and department of its message): "
    "encrypted, corrupt, too large, unsupported, scanned without text, timed out, empty",
    requires=("attachment", "message", "message_department", "department"),
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
    sql="""
SELECT
    a.id AS attachment_id,
    m.id AS message_id,
    md.department_code AS department_code,
    d.name AS department_name,
    m.received_at AS received_at,
    m.sender AS sender,
    m.subject AS subject,
    m.kind AS kind,
    a.filename AS filename,
    parent.filename AS inside,
    a.format AS format,
    a.size AS size,
    a.role AS role,
    a.parse_status AS parse_status,
    a.parse_status AS advice,
    a.parse_error AS parse_error
FROM attachment a
JOIN message m ON m.id = a.message_id
LEFT JOIN attachment parent ON parent.id = a.parent_id
LEFT JOIN message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE a.parse_status <> 'ok'
""",
)

REVIEW_QUEUE = AnalystView(
    name="review_queue",
    title="À vérifier",
    description="one row per message a person should look at: processing failed, not "
    "processed yet, or flagged for review by extraction (with the reason)",
    requires=("message",),
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
    sql="""
SELECT
    m.id AS message_id,
    m.received_at AS received_at,
    m.sender AS sender,
    m.subject AS subject,
    m.kind AS kind,
    CASE
        WHEN m.processed_at IS NULL AND m.process_error IS NOT NULL THEN 'processing_failed'
        WHEN m.processed_at IS NULL THEN 'not_processed'
        ELSE 'needs_review'
    END AS problem,
    COALESCE(m.process_error, m.review_reason) AS detail
FROM message m
WHERE m.processed_at IS NULL OR m.needs_review
""",
)

#: A message still counts when no later message replaces it.
_CURRENT = "NOT EXISTS (SELECT 1 FROM message later WHERE later.supersedes_id = m.id)"

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


def _annex_field(column: Column) -> str:
    """One field of the annex row table; booleans as 0/1 on both databases."""
    if column.kind == "bool":
        return f"CASE WHEN r.{column.name} IS NULL THEN NULL WHEN r.{column.name} THEN 1 ELSE 0 END AS {column.name}"
    return f"r.{column.name} AS {column.name}"


def annex_view(name: str, title: str, description: str, order_by: str, fields: tuple[Column, ...]) -> AnalystView:
    """The rows of `<name>_row` read from current contributions only, with
    the head and source columns every annex view shares."""
    head = "r.id AS row_id, m.id AS message_id, r.department_code AS department_code, "
    head += "d.name AS department_name, m.received_at AS received_at"
    columns = fields + ANNEX_SOURCE_COLUMNS + (ANNEX_CONFIDENCE,)
    select = ",\n    ".join([head, *map(_annex_field, columns)])
    return AnalystView(
        name=name,
        title=title,
        description=description,
        requires=(f"{name}_row", "message", "department", f"{name}_row.confidence"),
        order_by=order_by,
        columns=ANNEX_HEAD_COLUMNS + columns,
        sql=f"""
SELECT
    {select}
FROM {name}_row r
JOIN message m ON m.id = r.message_id
LEFT JOIN department d ON d.code = r.department_code
WHERE m.kind = 'contribution' AND {_CURRENT}
""",
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
    requires=("survey_answer", "survey_response", "message", "department"),
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
    sql="""
SELECT
    s.id AS response_id,
    m.id AS message_id,
    s.department_code AS department_code,
    d.name AS department_name,
    m.received_at AS received_at,
    s.conseil_citoyen AS conseil_citoyen,
    a.number AS number,
    a.topic AS topic,
    a.question AS question,
    a.answer AS answer
FROM survey_answer a
JOIN survey_response s ON s.id = a.response_id
JOIN message m ON m.id = s.message_id
LEFT JOIN department d ON d.code = s.department_code
WHERE NOT a.pii AND a.topic NOT IN ('name', 'phone', 'email', 'address')
""",
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
    requires=("recommendation", "message", "message_department", "department", "recommendation.confidence"),
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
    sql=f"""
SELECT
    r.id AS recommendation_id,
    m.id AS message_id,
    r.position AS position,
    m.kind AS source_kind,
    md.department_code AS department_code,
    d.name AS department_name,
    d.region AS region,
    m.received_at AS received_at,
    r.theme AS theme,
    r.text AS text,
    r.file AS file,
    r.page AS page,
    r.sheet AS sheet,
    r.paragraph AS paragraph,
    r.confidence AS confidence,
    r.theme_score AS theme_confidence
FROM recommendation r
JOIN message m ON m.id = r.message_id
LEFT JOIN message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE m.kind = 'survey_response' OR (m.kind = 'contribution' AND {_CURRENT})
""",
)

FINDING_LABELS = {"strength": "atout ou réussite", "weakness": "fragilité ou difficulté"}

STRENGTHS_WEAKNESSES = AnalystView(
    name="strengths_weaknesses",
    title="Atouts et fragilités",
    description="one row per strength (atouts, réussites) or weakness (fragilités, difficultés) "
    "of a current contribution and department, as written, with where it was found",
    requires=("strength", "weakness", "message", "message_department", "department"),
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
    sql=f"""
SELECT
    f.nature AS nature,
    f.id AS item_id,
    m.id AS message_id,
    f.position AS position,
    md.department_code AS department_code,
    d.name AS department_name,
    d.region AS region,
    m.received_at AS received_at,
    f.text AS text,
    f.file AS file,
    f.page AS page,
    f.paragraph AS paragraph
FROM (
    SELECT 'strength' AS nature, id, message_id, position, text, file, page, paragraph FROM strength
    UNION ALL
    SELECT 'weakness' AS nature, id, message_id, position, text, file, page, paragraph FROM weakness
) f
JOIN message m ON m.id = f.message_id
LEFT JOIN message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE m.kind = 'contribution' AND {_CURRENT}
""",
)


#: Every analyst view, in creation order (a view comes after those it reads).
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


def view_named(name: str) -> AnalystView:
    for view in VIEWS:
        if view.name == name:
            return view
    raise KeyError(f"no analyst view named {name!r}")


def drop_views(connection: Connection, views: Sequence[AnalystView] = VIEWS) -> None:
    for view in reversed(views):
        connection.execute(text(f"DROP VIEW IF EXISTS {view.name}"))


def replace_views(connection: Connection, views: Sequence[AnalystView] = VIEWS) -> list[str]:
    """Drop and recreate the views whose tables exist; return the names
    created. Views whose tables come with a later migration are created by
    that migration's own call."""
    drop_views(connection, views)
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    present |= {f"{table}.{column['name']}" for table in present for column in inspector.get_columns(table)}
    created: list[str] = []
    for view in views:
        if set(view.requires) <= present | set(created):
            connection.execute(text(f"CREATE VIEW {view.name} AS {view.sql.strip()}"))
            created.append(view.name)
    return created


def read_view(connection: Connection, view: AnalystView) -> Sheet:
    rows = connection.execute(text(view.select())).all()
    return Sheet(view.name, view.title, view.columns, typed_rows(rows, view.columns))


def counts_by(
    connection: Connection, view_name: str, columns: Sequence[str], distinct: str | None = None
) -> list[tuple] | None:
    """`SELECT columns, count(*) FROM view GROUP BY columns`, or None while
    that view is not in this warehouse (views over tables of later stages).
    `distinct` counts each value of that column once per group: a view with
    one row per item *and department* counts an item sent for two
    departments once (`distinct="recommendation_id"`)."""
    if view_name not in {view.name for view in VIEWS} or view_name not in inspect(connection).get_view_names():
        return None
    names = ", ".join(columns)
    counted = f"count(DISTINCT {distinct})" if distinct else "count(*)"
    query = f"SELECT {names}, {counted} FROM {view_name} GROUP BY {names}" if columns else f"SELECT {counted} FROM {view_name}"
    return [tuple(row) for row in connection.execute(text(query))]
