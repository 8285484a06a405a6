-- Every column of `message`, with the corrections in force laid over what
-- extraction found: kind, modality and the version links (a link corrected
-- to a message this warehouse does not hold is not applied), and
-- `needs_review` false once a person marked the message checked
-- (`message_review`: the values in force are right). A review's only value
-- is 'checked', so any review not undone is in force: it is looked up in
-- `correction` by its index, in both parts, rather than through
-- `active_correction` or by moving reviewed messages to the second part
-- (with 1,000 messages marked, `bench/corrections.py --reviews`, either
-- made `department_status` up to 1.8 times slower; this way, about as
-- fast as before reviews existed). Every view
-- that reads a message's values reads them here; `message` keeps
-- extraction's, which `bilan reprocess` replaces.
-- Two parts: the messages without a correction of these values, as they
-- are (so that PostgreSQL's planner sees `kind = 'contribution'` on the
-- column and its statistics, and estimates how many rows a view joins),
-- then the few corrected ones.
SELECT
    m.id AS id,
    m.sha256 AS sha256,
    m.message_id AS message_id,
    m.sender AS sender,
    m.sender_name AS sender_name,
    m.subject AS subject,
    m.sent_at AS sent_at,
    m.received_at AS received_at,
    m.source AS source,
    m.size AS size,
    m.archived_at AS archived_at,
    m.processed_at AS processed_at,
    m.process_error AS process_error,
    m.kind AS kind,
    m.sender_role AS sender_role,
    m.modality AS modality,
    m.kind_confidence AS kind_confidence,
    m.sender_role_confidence AS sender_role_confidence,
    m.modality_confidence AS modality_confidence,
    m.meeting_date AS meeting_date,
    m.meeting_participants AS meeting_participants,
    m.pii AS pii,
    m.needs_review AND NOT EXISTS (
        SELECT 1 FROM correction rv WHERE rv.subject = 'message_review' AND rv.target = m.sha256 AND rv.undone_at IS NULL
    ) AS needs_review,
    m.review_reason AS review_reason,
    m.auth_server AS auth_server,
    m.dkim_result AS dkim_result,
    m.spf_result AS spf_result,
    m.dmarc_result AS dmarc_result,
    m.arc_result AS arc_result,
    m.sender_check AS sender_check,
    m.supersedes_id AS supersedes_id,
    m.complements_id AS complements_id,
    m.original_message_id AS original_message_id,
    m.original_id AS original_id,
    m.follow_up AS follow_up,
    m.follow_up_cited_date AS follow_up_cited_date,
    m.replies_to AS replies_to
FROM message m
WHERE NOT EXISTS (
    SELECT 1 FROM active_correction c
    WHERE c.target = m.sha256
        AND c.subject IN ('message_kind', 'message_modality', 'message_supersedes', 'message_complements')
)
UNION ALL
SELECT
    m.id AS id,
    m.sha256 AS sha256,
    m.message_id AS message_id,
    m.sender AS sender,
    m.sender_name AS sender_name,
    m.subject AS subject,
    m.sent_at AS sent_at,
    m.received_at AS received_at,
    m.source AS source,
    m.size AS size,
    m.archived_at AS archived_at,
    m.processed_at AS processed_at,
    m.process_error AS process_error,
    CAST(CASE WHEN k.id IS NULL THEN m.kind ELSE k.value_text END AS VARCHAR(32)) AS kind,
    m.sender_role AS sender_role,
    CASE WHEN mo.id IS NULL THEN m.modality ELSE CAST(mo.value_text AS INTEGER) END AS modality,
    m.kind_confidence AS kind_confidence,
    m.sender_role_confidence AS sender_role_confidence,
    m.modality_confidence AS modality_confidence,
    m.meeting_date AS meeting_date,
    m.meeting_participants AS meeting_participants,
    m.pii AS pii,
    m.needs_review AND NOT EXISTS (
        SELECT 1 FROM correction rv WHERE rv.subject = 'message_review' AND rv.target = m.sha256 AND rv.undone_at IS NULL
    ) AS needs_review,
    m.review_reason AS review_reason,
    m.auth_server AS auth_server,
    m.dkim_result AS dkim_result,
    m.spf_result AS spf_result,
    m.dmarc_result AS dmarc_result,
    m.arc_result AS arc_result,
    m.sender_check AS sender_check,
    CASE WHEN s.id IS NULL OR (s.value_text IS NOT NULL AND earlier.id IS NULL) THEN m.supersedes_id ELSE earlier.id END
        AS supersedes_id,
    CASE WHEN co.id IS NULL OR (co.value_text IS NOT NULL AND completed.id IS NULL) THEN m.complements_id
        ELSE completed.id END AS complements_id,
    m.original_message_id AS original_message_id,
    m.original_id AS original_id,
    m.follow_up AS follow_up,
    m.follow_up_cited_date AS follow_up_cited_date,
    m.replies_to AS replies_to
FROM message m
LEFT JOIN active_correction k ON k.subject = 'message_kind' AND k.target = m.sha256
LEFT JOIN active_correction mo ON mo.subject = 'message_modality' AND mo.target = m.sha256
LEFT JOIN active_correction s ON s.subject = 'message_supersedes' AND s.target = m.sha256
LEFT JOIN message earlier ON earlier.sha256 = s.value_text
LEFT JOIN active_correction co ON co.subject = 'message_complements' AND co.target = m.sha256
LEFT JOIN message completed ON completed.sha256 = co.value_text
WHERE EXISTS (
    SELECT 1 FROM active_correction c
    WHERE c.target = m.sha256
        AND c.subject IN ('message_kind', 'message_modality', 'message_supersedes', 'message_complements')
)
