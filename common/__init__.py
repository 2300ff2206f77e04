"""What every Tier0 process agrees on: the rules for secrets, the shared rate limits, redaction,
the limits of a ticket, the intents that say nothing about a problem, and the ONNX sentence
encoder. Both Python environments (Rasa's 3.10 and the app's 3.11) import it, so it uses nothing
beyond the standard library and what both have (SQLAlchemy, redis-py, spaCy, numpy, onnxruntime,
tokenizers)."""
