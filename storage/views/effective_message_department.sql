-- The departments each message speaks for: those extraction found, or,
-- where a correction in force says otherwise, the ones it gives (confidence
-- 1, evidence 'correction'). Read wherever a message's departments count.
SELECT
    md.message_id AS message_id,
    md.department_code AS department_code,
    md.confidence AS confidence,
    md.evidence AS evidence
FROM message_department md
JOIN message m ON m.id = md.message_id
LEFT JOIN active_correction c ON c.subject = 'message_departments' AND c.target = m.sha256
WHERE c.id IS NULL
UNION ALL
SELECT
    m.id AS message_id,
    d.code AS department_code,
    1.0 AS confidence,
    'correction' AS evidence
FROM active_correction c
JOIN message m ON m.sha256 = c.target
JOIN department d ON (' ' || c.value_text || ' ') LIKE ('% ' || d.code || ' %')
WHERE c.subject = 'message_departments'
