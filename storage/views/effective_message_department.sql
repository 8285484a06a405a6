-- The departments each message speaks for: those extraction found, or,
-- where a correction in force says otherwise, the ones it gives
-- (`correction_department`; confidence 1, evidence 'correction'). Read
-- wherever a message's departments count. One query of joins on keys, no
-- UNION: the database can then look a message's departments up by its id
-- when a view joins them.
SELECT
    m.id AS message_id,
    CASE WHEN c.id IS NULL THEN md.department_code ELSE cd.department_code END AS department_code,
    CASE WHEN c.id IS NULL THEN md.confidence ELSE 1.0 END AS confidence,
    CASE WHEN c.id IS NULL THEN md.evidence ELSE 'correction' END AS evidence
FROM message m
LEFT JOIN active_correction c ON c.subject = 'message_departments' AND c.target = m.sha256
LEFT JOIN message_department md ON c.id IS NULL AND md.message_id = m.id
LEFT JOIN correction_department cd ON cd.correction_id = c.id
WHERE md.message_id IS NOT NULL OR cd.correction_id IS NOT NULL
