-- One row per campaign: the department counts of `department_status`, and
-- the messages and files of the whole mailbox (kinds as corrected; review
-- flags without the messages a person marked checked).
SELECT
    c.id AS campaign_id,
    c.name AS campaign,
    c.deadline AS deadline,
    COALESCE(s.departments, 0) AS departments,
    COALESCE(s.on_time, 0) AS on_time,
    COALESCE(s.late, 0) AS late,
    COALESCE(s.missing, 0) AS missing,
    (SELECT count(*) FROM message) AS messages,
    (SELECT count(*) FROM effective_message m WHERE m.kind = 'contribution') AS contributions,
    (SELECT count(*) FROM message m WHERE m.processed_at IS NULL) AS messages_not_processed,
    (SELECT count(*) FROM message m WHERE m.process_error IS NOT NULL OR EXISTS (
        SELECT 1 FROM attachment a WHERE a.message_id = m.id AND a.parse_status <> 'ok'
    )) AS messages_with_errors,
    (SELECT count(*) FROM attachment a WHERE a.parse_status <> 'ok') AS unreadable_files,
    (SELECT count(*) FROM effective_message m WHERE m.needs_review) AS flagged_for_review,
    COALESCE(s.exempt, 0) AS exempt
FROM campaign c
LEFT JOIN (
    SELECT
        campaign_id,
        count(*) AS departments,
        count(CASE WHEN status = 'on_time' THEN 1 END) AS on_time,
        count(CASE WHEN status = 'late' THEN 1 END) AS late,
        count(CASE WHEN status = 'missing' THEN 1 END) AS missing,
        count(CASE WHEN status = 'exempt' THEN 1 END) AS exempt
    FROM department_status
    GROUP BY campaign_id
) s ON s.campaign_id = c.id
