-- Every message that no later message replaces (a corrected version, a file
-- sent again), with its values as corrected (`effective_message`): the one
-- place that says what "current" means, read by the views of contributions,
-- annexes, recommendations, strengths and weaknesses. A later message
-- replaces this one by the link extraction found, unless a correction in
-- force gives that later message another link, or by a correction in force.
SELECT m.*
FROM effective_message m
WHERE NOT EXISTS (
    SELECT 1 FROM message later
    WHERE later.supersedes_id = m.id
        AND NOT EXISTS (
            SELECT 1 FROM active_correction c
            WHERE c.subject = 'message_supersedes' AND c.target = later.sha256
                AND (c.value_text IS NULL OR EXISTS (SELECT 1 FROM message x WHERE x.sha256 = c.value_text))
        )
)
AND NOT EXISTS (
    SELECT 1 FROM active_correction c
    JOIN message corrected ON corrected.sha256 = c.target
    WHERE c.subject = 'message_supersedes' AND c.value_text = m.sha256
)
