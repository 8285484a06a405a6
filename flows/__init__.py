"""Prefect flows and the mailbox sources they read.

Flows are thin: each task calls a plain function of `bilan.pipeline`,
which can be tested and run without Prefect.
"""
