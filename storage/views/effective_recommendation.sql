-- Every row of `recommendation`, with the corrections in force laid over
-- what extraction found: its text, its theme (then sure: `theme_score` 1,
-- `theme_source` 'person') and `status`, what a person decided: 'accepted'
-- (then `confidence` 1), 'rejected' (not a recommendation: the analyst view
-- `recommendations` and the export leave it out), or null (not reviewed). A
-- correction applies to the recommendation at its position only if extraction
-- still reads the same text there (`anchor`).
SELECT
    CASE WHEN c.theme_set = 1 THEN c.theme ELSE r.theme END AS theme,
    CASE WHEN c.theme_set = 1 THEN 1.0 ELSE r.theme_score END AS theme_score,
    CASE WHEN c.status = 'accepted' THEN 1.0 ELSE r.confidence END AS confidence,
    CASE WHEN c.theme_set = 1 THEN 'person' ELSE r.theme_source END AS theme_source,
    r.id AS id,
    r.message_id AS message_id,
    r.position AS position,
    CASE WHEN c.text_set = 1 THEN c.text ELSE r.text END AS text,
    r.departments AS departments,
    r.attachment_position AS attachment_position,
    r.file AS file,
    r.page AS page,
    r.sheet AS sheet,
    r.cell_range AS cell_range,
    r.paragraph AS paragraph,
    r.origin AS origin,
    c.status AS status
FROM recommendation r
JOIN message m ON m.id = r.message_id
LEFT JOIN (
    SELECT
        c.target_sha256 AS target_sha256,
        c.target_position AS target_position,
        max(CASE WHEN c.field = 'status' THEN c.value_text END) AS status,
        max(CASE WHEN c.field = 'text' THEN 1 ELSE 0 END) AS text_set,
        max(CASE WHEN c.field = 'text' THEN c.value_text END) AS text,
        max(CASE WHEN c.field = 'theme' THEN 1 ELSE 0 END) AS theme_set,
        max(CASE WHEN c.field = 'theme' THEN c.value_text END) AS theme
    FROM active_correction c
    JOIN message cm ON cm.sha256 = c.target_sha256
    JOIN recommendation cr ON cr.message_id = cm.id AND cr.position = c.target_position
    WHERE c.target_table = 'recommendation' AND (c.anchor IS NULL OR c.anchor = cr.text)
    GROUP BY c.target_sha256, c.target_position
) c ON c.target_sha256 = m.sha256 AND c.target_position = r.position
