"""NLP: turns parsed messages into typed records (kind, departments, ...).

One spaCy French pipeline is loaded per process (`nlp.pipeline.get_nlp`);
everything here works on `Document`s and envelopes, never on IMAP or SQL.
"""
