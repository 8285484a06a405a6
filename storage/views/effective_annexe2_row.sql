-- Every row of `annexe2_row`, with the corrections in force laid over what
-- extraction found: a cell's value (`annex_cell`, field = column) and whether
-- a person rejected the row (`annex_row`; `rejected` 0/1). The analyst view
-- `annexe2` and the export read rows here.
SELECT
    CASE WHEN c.type_set = 1 THEN c.type ELSE r.type END AS type,
    CASE WHEN c.commune_set = 1 THEN c.commune ELSE r.commune END AS commune,
    CASE WHEN c.qpv_code_set = 1 THEN c.qpv_code ELSE r.qpv_code END AS qpv_code,
    CASE WHEN c.porteur_set = 1 THEN c.porteur ELSE r.porteur END AS porteur,
    CASE WHEN c.annee_creation_set = 1 THEN CAST(c.annee_creation AS INTEGER) ELSE r.annee_creation END AS annee_creation,
    CASE WHEN c.habitants_mobilises_set = 1 THEN CAST(c.habitants_mobilises AS INTEGER) ELSE r.habitants_mobilises END AS habitants_mobilises,
    r.id AS id,
    r.message_id AS message_id,
    r.position AS position,
    r.attachment_position AS attachment_position,
    r.source_file AS source_file,
    r.source_sheet AS source_sheet,
    r.source_page AS source_page,
    r.source_row AS source_row,
    CASE WHEN c.department_code_set = 1 THEN c.department_code ELSE r.department_code END AS department_code,
    r.confidence AS confidence,
    r.cell_confidence AS cell_confidence,
    CASE WHEN c.rejected = '1' THEN 1 ELSE 0 END AS rejected
FROM annexe2_row r
JOIN message m ON m.id = r.message_id
LEFT JOIN (
    SELECT
        target_sha256,
        target_position,
        max(CASE WHEN subject = 'annex_row' THEN value_text END) AS rejected,
        max(CASE WHEN subject = 'annex_cell' AND field = 'department_code' THEN 1 ELSE 0 END) AS department_code_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'department_code' THEN value_text END) AS department_code,
        max(CASE WHEN subject = 'annex_cell' AND field = 'type' THEN 1 ELSE 0 END) AS type_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'type' THEN value_text END) AS type,
        max(CASE WHEN subject = 'annex_cell' AND field = 'commune' THEN 1 ELSE 0 END) AS commune_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'commune' THEN value_text END) AS commune,
        max(CASE WHEN subject = 'annex_cell' AND field = 'qpv_code' THEN 1 ELSE 0 END) AS qpv_code_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'qpv_code' THEN value_text END) AS qpv_code,
        max(CASE WHEN subject = 'annex_cell' AND field = 'porteur' THEN 1 ELSE 0 END) AS porteur_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'porteur' THEN value_text END) AS porteur,
        max(CASE WHEN subject = 'annex_cell' AND field = 'annee_creation' THEN 1 ELSE 0 END) AS annee_creation_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'annee_creation' THEN value_text END) AS annee_creation,
        max(CASE WHEN subject = 'annex_cell' AND field = 'habitants_mobilises' THEN 1 ELSE 0 END) AS habitants_mobilises_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'habitants_mobilises' THEN value_text END) AS habitants_mobilises
    FROM active_correction
    WHERE target_table = 'annexe2'
    GROUP BY target_sha256, target_position
) c ON c.target_sha256 = m.sha256 AND c.target_position = r.position
