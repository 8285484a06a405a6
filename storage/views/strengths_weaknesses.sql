-- One row per strength or weakness of a current contribution and department.
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
JOIN current_message m ON m.id = f.message_id
LEFT JOIN effective_message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE m.kind = 'contribution'
