"""Parsing and fetching of news sources. Knows nothing of Slack; writes through storage."""
