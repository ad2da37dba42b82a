"""The domain: what an item is, what makes two entries the same, how text is
normalised and shortened. Pure Python that imports nothing of ours, so parsers
(sources/), the store (storage/) and Block Kit builders (bot/blocks/) share it
without depending on each other.
"""
