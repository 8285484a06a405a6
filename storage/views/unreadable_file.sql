-- One row per file that could not be read, and department of its message.
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
JOIN effective_message m ON m.id = a.message_id
LEFT JOIN attachment parent ON parent.id = a.parent_id
LEFT JOIN effective_message_department md ON md.message_id = m.id
LEFT JOIN department d ON d.code = md.department_code
WHERE a.parse_status <> 'ok'
