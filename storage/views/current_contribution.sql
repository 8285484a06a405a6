-- One row per contribution and department, current versions only (complements stay);
-- values and departments as corrected.
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
FROM current_message m
LEFT JOIN effective_message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE m.kind = 'contribution'
