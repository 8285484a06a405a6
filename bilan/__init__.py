"""bilan: turns the ANCT contribution mailbox into a clean, queryable warehouse."""

__version__ = "0.1.0"
