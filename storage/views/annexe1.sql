-- One row per conseil citoyen of an Annexe 1 of a current contribution, as
-- corrected (rows a person rejected left out); booleans as 0/1 on both databases.
SELECT
    r.id AS row_id,
    m.id AS message_id,
    r.department_code AS department_code,
    d.name AS department_name,
    m.received_at AS received_at,
    r.commune AS commune,
    r.qpv_code AS qpv_code,
    r.qpv_nom AS qpv_nom,
    CASE WHEN r.conseil_constitue IS NULL THEN NULL WHEN r.conseil_constitue THEN 1 ELSE 0 END AS conseil_constitue,
    r.date_creation AS date_creation,
    r.membres_habitants AS membres_habitants,
    r.membres_acteurs_locaux AS membres_acteurs_locaux,
    CASE WHEN r.actif IS NULL THEN NULL WHEN r.actif THEN 1 ELSE 0 END AS actif,
    r.structure_porteuse AS structure_porteuse,
    CASE WHEN r.participation_pilotage IS NULL THEN NULL WHEN r.participation_pilotage THEN 1 ELSE 0 END AS participation_pilotage,
    CASE WHEN r.formation_suivie IS NULL THEN NULL WHEN r.formation_suivie THEN 1 ELSE 0 END AS formation_suivie,
    r.budget_annuel_eur AS budget_annuel_eur,
    r.source_file AS source_file,
    r.source_sheet AS source_sheet,
    r.source_page AS source_page,
    r.source_row AS source_row,
    r.confidence AS confidence
FROM effective_annexe1_row r
JOIN current_message m ON m.id = r.message_id
LEFT JOIN department d ON d.code = r.department_code
WHERE m.kind = 'contribution' AND r.rejected = 0
