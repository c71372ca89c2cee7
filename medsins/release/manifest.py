"""``manifest.json``: what a release folder contains and how it was built.

The manifest is the contract between ``medsins build`` (which writes it last,
after every shard and the card) and ``medsins push`` / ``medsins.load`` (which
trust nothing that it does not vouch for). :func:`verify_release` checks that
the folder and the manifest agree byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medsins.errors import ReleaseError

MANIFEST_NAME = "manifest.json"
CARD_NAME = "README.md"
#: The release file holding every task's instruction variants.
INSTRUCTIONS_NAME = "instructions.json"


class ReleaseFile(BaseModel):
    """One file of the release: its checksum, size and (for shards) row count."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    rows: int | None = Field(default=None, ge=0, description="Row count for Parquet shards.")


class SourceProvenance(BaseModel):
    """A source as it entered the build."""

    model_config = ConfigDict(extra="forbid")

    license: str
    access: str
    version: str
    native: bool = True
    raw_files: dict[str, str] = Field(default_factory=dict, description="Relative path -> sha256.")


class FateCounts(BaseModel):
    """Per-source (or total) ledger counts; ``entered`` equals the sum of the rest."""

    model_config = ConfigDict(extra="forbid")

    entered: int = 0
    kept: int = 0
    invalid: int = 0
    conflict: int = 0
    license: int = 0
    language: int = 0
    duplicate: int = 0
    contaminates: int = 0
    unreadable: int = Field(
        default=0, description="Spots of the raw files (lines, blocks, file ends) that could not be read: "
        "the raw items in them never entered, so they are not part of ``entered``.",
    )

    def balanced(self) -> bool:
        """Every record that entered has exactly one fate."""
        return self.entered == (
            self.kept + self.invalid + self.conflict + self.license + self.language + self.duplicate
            + self.contaminates
        )


class ReleaseManifest(BaseModel):
    """The whole ``manifest.json``."""

    model_config = ConfigDict(extra="forbid")

    medsins_version: str
    profile: str = Field(description="public | research | local")
    publishable: bool = Field(description="False for profiles that admit restricted records.")
    options: dict[str, object] = Field(default_factory=dict, description="Build options (provenance).")
    sources: dict[str, SourceProvenance] = Field(default_factory=dict)
    counts: dict[str, FateCounts] = Field(
        default_factory=dict, description="Ledger counts per source id, plus 'total'."
    )
    unreadable: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per source, the spots of its raw files that could not be read ('file, where: problem'; "
        "the first 50). A release with any was built with --allow-incomplete: it misses their items.",
    )
    configs: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Config name -> split -> num_examples (as in the card)."
    )
    files: dict[str, ReleaseFile] = Field(
        default_factory=dict, description="Every file but manifest.json, by POSIX path relative to the release."
    )


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(release_dir: Path, manifest: ReleaseManifest) -> Path:
    """Write ``manifest.json`` deterministically (sorted keys, stable separators)."""
    path = Path(release_dir) / MANIFEST_NAME
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_manifest(release_dir: Path) -> ReleaseManifest:
    """Read and validate a release's ``manifest.json``."""
    path = Path(release_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ReleaseError(f"{release_dir}: not a release folder (no {MANIFEST_NAME})")
    try:
        return ReleaseManifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ReleaseError(
            f"{path}: invalid manifest at {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
        ) from None


def verify_release(release_dir: Path, *, check_rows: bool = True) -> ReleaseManifest:
    """Check that every file the manifest lists exists with its checksum, and no other file does.

    With ``check_rows``, Parquet row counts must match the manifest and the
    per-config counts must add up to what the shards hold. Raises
    :class:`ReleaseError` naming the first disagreement.
    """
    root = Path(release_dir)
    manifest = read_manifest(root)
    # Every file but the release's own manifest.json (a manifest.json further down is a file like
    # any other) and hidden files (.DS_Store, .gitattributes: the system's, never the release's).
    on_disk = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    } - {MANIFEST_NAME}
    missing = sorted(set(manifest.files) - on_disk)
    if missing:
        raise ReleaseError(f"{root}: file listed in the manifest is missing: {missing[0]}")
    extra = sorted(on_disk - set(manifest.files))
    if extra:
        raise ReleaseError(f"{root}: file not listed in the manifest: {extra[0]}")
    for name, info in sorted(manifest.files.items()):
        path = root / name
        if path.stat().st_size != info.bytes or sha256_file(path) != info.sha256:
            raise ReleaseError(f"{root}: {name} differs from the manifest (checksum changed)")
        if check_rows and info.rows is not None:
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(path).metadata.num_rows
            if rows != info.rows:
                raise ReleaseError(f"{root}: {name} has {rows} rows, the manifest says {info.rows}")
    total = manifest.counts.get("total")
    shard_rows = sum(info.rows or 0 for info in manifest.files.values())
    if check_rows and total is not None and total.kept != shard_rows:
        raise ReleaseError(f"{root}: shards hold {shard_rows} rows but the ledger kept {total.kept}")
    return manifest
