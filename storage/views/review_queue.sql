-- One row per message a person should look at. A message a person marked
-- checked (a `message_review` correction: `effective_message` then gives
-- `needs_review` false) leaves the queue, and comes back if the mark is
-- undone. A message whose processing failed or has not run yet stays
-- whatever a person marked: a review does not read the files a failed
-- parse could not; `bilan reprocess` does.
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
