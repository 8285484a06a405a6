-- Every row of `annexe2_row`, with the corrections in force laid over what
-- extraction found: a cell's value (`annex_cell`, field = column) and whether
-- a person rejected the row (`annex_row`; `rejected` 0/1). The analyst view
-- `annexe2` and the export read rows here. A correction applies to the row at
-- its position only if that row still comes from where the corrected one did
-- (`anchor`: file, sheet, page, row), so that a reprocess that finds one row
-- more cannot move it onto another row.
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
        c.target_sha256 AS target_sha256,
        c.target_position AS target_position,
        max(CASE WHEN c.subject = 'annex_row' THEN c.value_text END) AS rejected,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'department_code' THEN 1 ELSE 0 END) AS department_code_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'department_code' THEN c.value_text END) AS department_code,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'type' THEN 1 ELSE 0 END) AS type_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'type' THEN c.value_text END) AS type,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'commune' THEN 1 ELSE 0 END) AS commune_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'commune' THEN c.value_text END) AS commune,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'qpv_code' THEN 1 ELSE 0 END) AS qpv_code_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'qpv_code' THEN c.value_text END) AS qpv_code,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'porteur' THEN 1 ELSE 0 END) AS porteur_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'porteur' THEN c.value_text END) AS porteur,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'annee_creation' THEN 1 ELSE 0 END) AS annee_creation_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'annee_creation' THEN c.value_text END) AS annee_creation,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'habitants_mobilises' THEN 1 ELSE 0 END) AS habitants_mobilises_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'habitants_mobilises' THEN c.value_text END) AS habitants_mobilises
    FROM active_correction c
    JOIN message cm ON cm.sha256 = c.target_sha256
    JOIN annexe2_row cr ON cr.message_id = cm.id AND cr.position = c.target_position
    WHERE c.target_table = 'annexe2'
        AND (c.anchor IS NULL OR c.anchor = (cr.source_file || '|' || COALESCE(cr.source_sheet, '') || '|' || COALESCE(CAST(cr.source_page AS TEXT), '') || '|'
            || CAST(cr.source_row AS TEXT)))
    GROUP BY c.target_sha256, c.target_position
) c ON c.target_sha256 = m.sha256 AND c.target_position = r.position
