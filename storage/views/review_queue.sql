-- One row per message a person should look at.
SELECT
    m.id AS message_id,
    m.received_at AS received_at,
    m.sender AS sender,
    m.subject AS subject,
    m.kind AS kind,
    CASE
        WHEN m.processed_at IS NULL AND m.process_error IS NOT NULL THEN 'processing_failed'
        WHEN m.processed_at IS NULL THEN 'not_processed'
        ELSE 'needs_review'
    END AS problem,
    COALESCE(m.process_error, m.review_reason) AS detail
FROM effective_message m
WHERE m.processed_at IS NULL OR m.needs_review
