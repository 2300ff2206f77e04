"""Custom actions of the Nimbus assistant, served by the Rasa SDK action server.

Modules are grouped by capability: kb (answers from the knowledge base), handoff (tickets).
"""
