"""Curation by admins: reading the item modal, and fixing messages already posted."""
