"""What every Tier0 process agrees on: the rules for secrets, the shared rate limits, redaction and
the limits of a ticket. Both Python environments (Rasa's 3.10 and the app's 3.11) import it, so it
uses nothing beyond the standard library and what both have (SQLAlchemy, redis-py)."""
