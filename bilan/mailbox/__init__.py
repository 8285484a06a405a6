"""Where messages come from: the IMAP folder (client, exactly-once cycle,
watcher) and local mailboxes (.eml, mbox, Maildir). No Prefect here."""
