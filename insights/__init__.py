"""What the bot did not understand (the review inbox) and the support leads'
analytics, from Rasa's tracker store and the handoff tickets. CLI: `python -m insights`; staff
pages: handoff_api/routes/insights.py."""
