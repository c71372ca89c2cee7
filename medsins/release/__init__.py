"""The release folder: Parquet shards, dataset card, manifest, push."""
