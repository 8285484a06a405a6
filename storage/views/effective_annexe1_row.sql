-- Every row of `annexe1_row`, with the corrections in force laid over what
-- extraction found: a cell's value (`annex_cell`, field = column) and whether
-- a person rejected the row (`annex_row`; `rejected` 0/1). The analyst view
-- `annexe1` and the export read rows here. A correction applies to the row at
-- its position only if that row still comes from where the corrected one did
-- (`anchor`: file, sheet, page, row), so that a reprocess that finds one row
-- more cannot move it onto another row.
SELECT
    CASE WHEN c.commune_set = 1 THEN c.commune ELSE r.commune END AS commune,
    CASE WHEN c.qpv_code_set = 1 THEN c.qpv_code ELSE r.qpv_code END AS qpv_code,
    CASE WHEN c.qpv_nom_set = 1 THEN c.qpv_nom ELSE r.qpv_nom END AS qpv_nom,
    CASE WHEN c.conseil_constitue_set = 1 THEN c.conseil_constitue = '1' ELSE r.conseil_constitue END AS conseil_constitue,
    CASE WHEN c.date_creation_set = 1 THEN c.date_creation ELSE r.date_creation END AS date_creation,
    CASE WHEN c.membres_habitants_set = 1 THEN CAST(c.membres_habitants AS INTEGER) ELSE r.membres_habitants END AS membres_habitants,
    CASE WHEN c.membres_acteurs_locaux_set = 1 THEN CAST(c.membres_acteurs_locaux AS INTEGER) ELSE r.membres_acteurs_locaux END AS membres_acteurs_locaux,
    CASE WHEN c.actif_set = 1 THEN c.actif = '1' ELSE r.actif END AS actif,
    CASE WHEN c.structure_porteuse_set = 1 THEN c.structure_porteuse ELSE r.structure_porteuse END AS structure_porteuse,
    CASE WHEN c.participation_pilotage_set = 1 THEN c.participation_pilotage = '1' ELSE r.participation_pilotage END AS participation_pilotage,
    CASE WHEN c.formation_suivie_set = 1 THEN c.formation_suivie = '1' ELSE r.formation_suivie END AS formation_suivie,
    CASE WHEN c.budget_annuel_eur_set = 1 THEN CAST(c.budget_annuel_eur AS DOUBLE PRECISION) ELSE r.budget_annuel_eur END AS budget_annuel_eur,
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
FROM annexe1_row r
JOIN message m ON m.id = r.message_id
LEFT JOIN (
    SELECT
        c.target_sha256 AS target_sha256,
        c.target_position AS target_position,
        max(CASE WHEN c.subject = 'annex_row' THEN c.value_text END) AS rejected,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'department_code' THEN 1 ELSE 0 END) AS department_code_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'department_code' THEN c.value_text END) AS department_code,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'commune' THEN 1 ELSE 0 END) AS commune_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'commune' THEN c.value_text END) AS commune,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'qpv_code' THEN 1 ELSE 0 END) AS qpv_code_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'qpv_code' THEN c.value_text END) AS qpv_code,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'qpv_nom' THEN 1 ELSE 0 END) AS qpv_nom_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'qpv_nom' THEN c.value_text END) AS qpv_nom,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'conseil_constitue' THEN 1 ELSE 0 END) AS conseil_constitue_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'conseil_constitue' THEN c.value_text END) AS conseil_constitue,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'date_creation' THEN 1 ELSE 0 END) AS date_creation_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'date_creation' THEN c.value_text END) AS date_creation,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'membres_habitants' THEN 1 ELSE 0 END) AS membres_habitants_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'membres_habitants' THEN c.value_text END) AS membres_habitants,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'membres_acteurs_locaux' THEN 1 ELSE 0 END) AS membres_acteurs_locaux_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'membres_acteurs_locaux' THEN c.value_text END) AS membres_acteurs_locaux,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'actif' THEN 1 ELSE 0 END) AS actif_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'actif' THEN c.value_text END) AS actif,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'structure_porteuse' THEN 1 ELSE 0 END) AS structure_porteuse_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'structure_porteuse' THEN c.value_text END) AS structure_porteuse,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'participation_pilotage' THEN 1 ELSE 0 END) AS participation_pilotage_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'participation_pilotage' THEN c.value_text END) AS participation_pilotage,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'formation_suivie' THEN 1 ELSE 0 END) AS formation_suivie_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'formation_suivie' THEN c.value_text END) AS formation_suivie,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'budget_annuel_eur' THEN 1 ELSE 0 END) AS budget_annuel_eur_set,
        max(CASE WHEN c.subject = 'annex_cell' AND c.field = 'budget_annuel_eur' THEN c.value_text END) AS budget_annuel_eur
    FROM active_correction c
    JOIN message cm ON cm.sha256 = c.target_sha256
    JOIN annexe1_row cr ON cr.message_id = cm.id AND cr.position = c.target_position
    WHERE c.target_table = 'annexe1'
        AND (c.anchor IS NULL OR c.anchor = (cr.source_file || '|' || COALESCE(cr.source_sheet, '') || '|' || COALESCE(CAST(cr.source_page AS TEXT), '') || '|'
            || CAST(cr.source_row AS TEXT)))
    GROUP BY c.target_sha256, c.target_position
) c ON c.target_sha256 = m.sha256 AND c.target_position = r.position
