-- One row per other participatory practice of an Annexe 2 of a current
-- contribution, as corrected (rows a person rejected left out).
SELECT
    r.id AS row_id,
    m.id AS message_id,
    r.department_code AS department_code,
    d.name AS department_name,
    m.received_at AS received_at,
    r.type AS type,
    r.commune AS commune,
    r.qpv_code AS qpv_code,
    r.porteur AS porteur,
    r.annee_creation AS annee_creation,
    r.habitants_mobilises AS habitants_mobilises,
    r.source_file AS source_file,
    r.source_sheet AS source_sheet,
    r.source_page AS source_page,
    r.source_row AS source_row,
    r.confidence AS confidence
FROM effective_annexe2_row r
JOIN current_message m ON m.id = r.message_id
LEFT JOIN department d ON d.code = r.department_code
WHERE m.kind = 'contribution' AND r.rejected = 0
