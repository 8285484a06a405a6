-- The corrections in force (`storage/corrections.py`): for each subject,
-- target and field, the latest correction not undone. The `effective_*`
-- views lay them over what extraction found.
SELECT
    c.id AS id,
    c.subject AS subject,
    c.target AS target,
    c.field AS field,
    c.target_sha256 AS target_sha256,
    c.target_table AS target_table,
    c.target_position AS target_position,
    c.anchor AS anchor,
    c.value_text AS value_text,
    c.made_at AS made_at,
    c.author AS author
FROM correction c
WHERE c.undone_at IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM correction newer
        WHERE newer.subject = c.subject AND newer.target = c.target AND newer.field = c.field
            AND newer.undone_at IS NULL
            AND (newer.made_at > c.made_at OR (newer.made_at = c.made_at AND newer.id > c.id))
    )
