"""Build stages: each takes a batch of records and decides their fate."""
