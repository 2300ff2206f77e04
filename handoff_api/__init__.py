"""Handoff service: tickets from the bot, pages for customers and staff."""
