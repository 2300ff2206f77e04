"""NLU evaluation as a library: train and parse with Rasa NLU from Python (`rasa_nlu`),
cross-validate a pipeline on the training data (`crossval`), and score predictions (`metrics`).
Used by the benchmarks (bench/nlu), the content writers' report (authoring/nlu_report.py) and the
held-out regression test (tests/bot/nlu). Runs in the Rasa environment."""
