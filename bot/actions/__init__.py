"""Custom actions of the Nimbus assistant, served by the Rasa SDK action server.

One module per capability (diagnosis, troubleshooting, verification, account tasks, licensing,
billing, KB answers, handoff, ...); docs/architecture.md says which holds what.
"""
