-- Every row of `annexe1_row`, with the corrections in force laid over what
-- extraction found: a cell's value (`annex_cell`, field = column) and whether
-- a person rejected the row (`annex_row`; `rejected` 0/1). The analyst view
-- `annexe1` and the export read rows here.
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
        target_sha256,
        target_position,
        max(CASE WHEN subject = 'annex_row' THEN value_text END) AS rejected,
        max(CASE WHEN subject = 'annex_cell' AND field = 'department_code' THEN 1 ELSE 0 END) AS department_code_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'department_code' THEN value_text END) AS department_code,
        max(CASE WHEN subject = 'annex_cell' AND field = 'commune' THEN 1 ELSE 0 END) AS commune_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'commune' THEN value_text END) AS commune,
        max(CASE WHEN subject = 'annex_cell' AND field = 'qpv_code' THEN 1 ELSE 0 END) AS qpv_code_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'qpv_code' THEN value_text END) AS qpv_code,
        max(CASE WHEN subject = 'annex_cell' AND field = 'qpv_nom' THEN 1 ELSE 0 END) AS qpv_nom_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'qpv_nom' THEN value_text END) AS qpv_nom,
        max(CASE WHEN subject = 'annex_cell' AND field = 'conseil_constitue' THEN 1 ELSE 0 END) AS conseil_constitue_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'conseil_constitue' THEN value_text END) AS conseil_constitue,
        max(CASE WHEN subject = 'annex_cell' AND field = 'date_creation' THEN 1 ELSE 0 END) AS date_creation_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'date_creation' THEN value_text END) AS date_creation,
        max(CASE WHEN subject = 'annex_cell' AND field = 'membres_habitants' THEN 1 ELSE 0 END) AS membres_habitants_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'membres_habitants' THEN value_text END) AS membres_habitants,
        max(CASE WHEN subject = 'annex_cell' AND field = 'membres_acteurs_locaux' THEN 1 ELSE 0 END) AS membres_acteurs_locaux_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'membres_acteurs_locaux' THEN value_text END) AS membres_acteurs_locaux,
        max(CASE WHEN subject = 'annex_cell' AND field = 'actif' THEN 1 ELSE 0 END) AS actif_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'actif' THEN value_text END) AS actif,
        max(CASE WHEN subject = 'annex_cell' AND field = 'structure_porteuse' THEN 1 ELSE 0 END) AS structure_porteuse_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'structure_porteuse' THEN value_text END) AS structure_porteuse,
        max(CASE WHEN subject = 'annex_cell' AND field = 'participation_pilotage' THEN 1 ELSE 0 END) AS participation_pilotage_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'participation_pilotage' THEN value_text END) AS participation_pilotage,
        max(CASE WHEN subject = 'annex_cell' AND field = 'formation_suivie' THEN 1 ELSE 0 END) AS formation_suivie_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'formation_suivie' THEN value_text END) AS formation_suivie,
        max(CASE WHEN subject = 'annex_cell' AND field = 'budget_annuel_eur' THEN 1 ELSE 0 END) AS budget_annuel_eur_set,
        max(CASE WHEN subject = 'annex_cell' AND field = 'budget_annuel_eur' THEN value_text END) AS budget_annuel_eur
    FROM active_correction
    WHERE target_table = 'annexe1'
    GROUP BY target_sha256, target_position
) c ON c.target_sha256 = m.sha256 AND c.target_position = r.position
