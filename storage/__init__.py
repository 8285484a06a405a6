"""The warehouse: tables, migrations, the raw archive, reference data and the
queries that the CLI, exports and dashboard read. It knows nothing of IMAP or
of how files are parsed."""
