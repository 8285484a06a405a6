-- One row per recommendation and department: current contributions and
-- members' survey answers; as corrected, those a person rejected left out.
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
FROM effective_recommendation r
JOIN effective_message m ON m.id = r.message_id
LEFT JOIN effective_message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE (m.kind = 'survey_response' OR m.id IN (SELECT c.id FROM current_message c WHERE c.kind = 'contribution'))
    AND (r.status IS NULL OR r.status <> 'rejected')
