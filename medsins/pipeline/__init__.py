"""The build's stages, one module each, and the executors that run them.

    convert   per source: raw files → validated records, unique ids   convert.py   work/convert/<source>/
    filter    per source: license profile, then language check       filter.py    work/filter/<source>/
    dedup     all sources: exact + MinHash near-dup, decontamination  dedup.py     work/dedup/
    assemble  kept records sorted by (task, split, id) + ledger      assemble.py  work/kept/
    release   Parquet shards + card + manifest (atomic rename)        medsins.release.writer

Each stage has one input (the previous stage's folder), one output and a
``done.json`` completion marker (:mod:`medsins.pipeline.workfiles`) whose key
covers everything the output depends on. :mod:`medsins.pipeline.executors` runs
the per-source stages on this machine (``local``) or on a Ray cluster (``ray``);
:func:`medsins.build.build` strings the stages together.
"""
