-- Every message that no later message replaces (a corrected version, a file
-- sent again): the one place that says what "current" means, read by the
-- views of contributions, annexes, recommendations, strengths and weaknesses.
SELECT m.*
FROM message m
WHERE NOT EXISTS (SELECT 1 FROM message later WHERE later.supersedes_id = m.id)
