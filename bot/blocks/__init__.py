"""Block Kit builders: pure functions from data to message/view dicts."""
