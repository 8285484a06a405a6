-- One row per department and campaign. On time: the first contribution
-- arrived before `campaign.closes_at`, the first late instant, which the
-- campaign's declared deadline gives (`storage/status.py`, `closes_at`).
-- Exempt: a correction in force excused the department (`department_exempt`),
-- which is then neither late nor missing. Messages, their kinds and
-- departments are read as corrected (`effective_*`).
SELECT
    c.id AS campaign_id,
    d.code AS department_code,
    d.name AS department_name,
    d.region AS region,
    CASE
        WHEN exemption.value_text = '1' AND (firsts.first_at IS NULL OR firsts.first_at >= c.closes_at) THEN 'exempt'
        WHEN firsts.first_at IS NULL THEN 'missing'
        WHEN firsts.first_at < c.closes_at THEN 'on_time'
        ELSE 'late'
    END AS status,
    firsts.first_at AS first_contribution_at,
    latest.modality AS modality,
    COALESCE(files.annexe1_received, 0) AS annexe1_received,
    COALESCE(files.annexe2_received, 0) AS annexe2_received,
    CASE WHEN files.annexe3_received = 1 OR mail.survey_answers > 0 THEN 1 ELSE 0 END AS annexe3_received,
    COALESCE(mail.messages, 0) AS messages,
    COALESCE(firsts.contributions, 0) AS contributions,
    COALESCE(mail.survey_answers, 0) AS survey_answers,
    COALESCE(mail.messages_with_errors, 0) AS messages_with_errors,
    COALESCE(files.unreadable_files, 0) AS unreadable_files,
    COALESCE(files.files_read_in_part, 0) AS files_read_in_part,
    COALESCE(mail.flagged_for_review, 0) AS flagged_for_review,
    COALESCE(reminded.reminders_sent, 0) AS reminders_sent,
    reminded.last_reminder_at AS last_reminder_at,
    COALESCE(firsts.doubtful_senders, 0) AS doubtful_senders,
    CASE WHEN exemption.value_text = '1' THEN 1 ELSE 0 END AS exempt
FROM campaign c
CROSS JOIN department d
LEFT JOIN active_correction exemption ON exemption.subject = 'department_exempt' AND exemption.target = d.code
LEFT JOIN (
    -- The modality of each department's latest current contribution that has
    -- one: ranked once for all departments (a subquery per department was
    -- 101 sorts of every contribution); grouped, so that PostgreSQL knows
    -- it is one row per department (else it expects millions of rows and
    -- spends most of a second compiling the query).
    SELECT ranked.department_code AS department_code, max(ranked.modality) AS modality
    FROM (
        SELECT md.department_code AS department_code, m.modality AS modality,
            ROW_NUMBER() OVER (PARTITION BY md.department_code ORDER BY m.received_at DESC, m.id DESC) AS rank
        FROM current_message m JOIN effective_message_department md ON md.message_id = m.id
        WHERE m.kind = 'contribution' AND m.modality IS NOT NULL
    ) ranked
    WHERE ranked.rank = 1
    GROUP BY ranked.department_code
) latest ON latest.department_code = d.code
LEFT JOIN (
    SELECT md.department_code, min(m.received_at) AS first_at, count(*) AS contributions,
        count(CASE WHEN m.sender_check IN ('unexpected_domain', 'authentication_failed') THEN 1 END)
            AS doubtful_senders
    FROM effective_message_department md JOIN effective_message m ON m.id = md.message_id
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
    FROM effective_message_department md JOIN effective_message m ON m.id = md.message_id
    GROUP BY md.department_code
) mail ON mail.department_code = d.code
LEFT JOIN (
    SELECT
        f.department_code,
        count(CASE WHEN f.parse_status <> 'ok' THEN 1 END) AS unreadable_files,
        count(CASE WHEN f.parse_status = 'ok' AND f.parse_error IS NOT NULL THEN 1 END) AS files_read_in_part,
        max(CASE WHEN f.annex = 'annexe1' THEN 1 ELSE 0 END) AS annexe1_received,
        max(CASE WHEN f.annex = 'annexe2' THEN 1 ELSE 0 END) AS annexe2_received,
        max(CASE WHEN f.annex = 'annexe3' THEN 1 ELSE 0 END) AS annexe3_received
    FROM (
        -- An annex is received as a readable file with its role, in a
        -- contribution; annex 3 (the members' questionnaire) in any message.
        SELECT md.department_code, a.parse_status, a.parse_error,
            CASE WHEN a.parse_status = 'ok' AND (m.kind = 'contribution' OR a.role = 'annexe3') THEN a.role END
                AS annex
        FROM effective_message_department md
        JOIN attachment a ON a.message_id = md.message_id
        JOIN effective_message m ON m.id = md.message_id
    ) f
    GROUP BY f.department_code
) files ON files.department_code = d.code
LEFT JOIN (
    SELECT r.campaign_id, r.department_code, count(*) AS reminders_sent, max(r.sent_at) AS last_reminder_at
    FROM reminder r
    WHERE r.status = 'sent'
    GROUP BY r.campaign_id, r.department_code
) reminded ON reminded.campaign_id = c.id AND reminded.department_code = d.code
