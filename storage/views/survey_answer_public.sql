-- One row per answer to the Annexe 3 questionnaire, without personal data.
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
