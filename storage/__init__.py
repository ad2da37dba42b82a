"""Everything SQL: models, the store's named operations, migrations. Knows nothing of Slack."""
