"""The content writers' loop: validate the training data and KB, report on NLU and KB quality,
reload a retrained model and rebuilt index into the running stack (docs/content-writers.md)."""
