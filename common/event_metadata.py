"""Keys Tier0 puts into the metadata of Rasa events, read by the bot, the channels, the handoff
service and the insights alike."""

from __future__ import annotations

# A user event the bot added itself to re-read a message the customer typed once (a correction).
ROUTED_AGAIN = "tier0_routed_again"
# ...after the customer said no to an article for it: the KB is not offered for it again.
ARTICLE_DECLINED = "tier0_article_declined"
# A bot event written by a person: {"name": "Ana Lopez", "initial": "A"} (the live takeover).
AGENT = "agent"
# A line about the chat itself ("joined", "released", "closed"), not an answer.
NOTICE = "notice"
