"""``medsins build``: raw corpora → release folder, resumable and deterministic.

Stages (each writes into the work folder and leaves a ``done.json`` marker
whose key covers everything its output depends on, so a rerun after Ctrl-C or
``kill -9`` redoes only what had not finished)::

    convert   per source: converter → validated, tagged records     convert/<source>/
    filter    per source: license profile, then language check       filter/<source>/
    dedup     all sources: exact + MinHash near-dup, decontamination  dedup/
    assemble  kept records sorted by (task, split, id)               kept/ (a file a task)
    release   Parquet shards + card + manifest (atomic rename)        <out>/

Every record that enters has exactly one fate in the ledger (``ledger.jsonl``
in the work folder): kept, invalid, license, language, duplicate or
contaminates; the counts per source and in total are in ``manifest.json``.

Each stage is a module of :mod:`medsins.pipeline`; :func:`_build_locked` below is
the whole pipeline. The per-source stages run on an executor
(:mod:`medsins.pipeline.executors`: ``local`` or ``ray``); ``raw_root``, ``work``
and ``out`` may be object-storage URLs (:mod:`medsins.storage`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from medsins import __version__, progress
from medsins.errors import MedsinsError
from medsins.ledger import FATES, LEDGER_NAME, LedgerWriter, read_lines
from medsins.limits import Limits, current
from medsins.pipeline.assemble import assemble_stage
from medsins.pipeline.convert import convert_stage
from medsins.pipeline.dedup import Drops, dedup_stage
from medsins.pipeline.executors import Executor, executor
from medsins.pipeline.filter import filter_stage
from medsins.plugins import catalog
from medsins.release.manifest import FateCounts, ReleaseManifest, SourceProvenance, sha256_file
from medsins.stages.license import Profile

__all__ = [
    "BuildOptions", "BuildResult", "Drops", "IncompleteInputError", "assemble_stage", "build", "convert_stage",
    "dedup_stage", "filter_stage", "select_sources", "summary_rows",
]

#: How many unreadable spots per source the manifest and the card list (all are in the work folder).
UNREADABLE_LISTED = 50


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build depends on besides the raw files (part of provenance)."""

    #: Raw files of source X under ``raw_root/X/``; None: the bundled samples. ``raw_root``,
    #: ``out`` and ``work`` may also be URLs (``s3://…``, ``file://…``; see :mod:`medsins.storage`).
    raw_root: Path | str | None = None
    sources: tuple[str, ...] = ()
    out: Path | str = Path("release")
    work: Path | str | None = None
    profile: Profile = Profile.PUBLIC
    workers: int = 1
    language_filter: bool = True
    dedup_threshold: float = 0.8
    num_perm: int = 128
    instructions: Path | None = None  # upstream RewriteDefinitions.json, attached to the release
    quiet: bool = False
    #: Release even when parts of the raw files could not be read (the manifest and card list them).
    allow_incomplete: bool = False
    #: Reader limits (:mod:`medsins.limits`); default: those in force when the options are made.
    limits: Limits = field(default_factory=current)
    #: The Hub repository ``ORG/NAME`` the card and croissant.json name (default: medsins.load.DEFAULT_REPO_ID).
    #: Not part of provenance: it changes how the release describes itself, not its records.
    repo_id: str | None = None
    #: What runs the per-source stages: "local" (this machine) or "ray" (a Ray cluster).
    #: Not part of provenance: every engine writes the same bytes.
    engine: str = "local"
    #: The Ray cluster to join (``ray.init(address=...)``); None: a local Ray for this build.
    ray_address: str | None = None

    @property
    def work_dir(self) -> Path:
        """The work folder (default: ``<out>.work`` beside the release); local paths only."""
        out, work = Path(self.out), self.work
        return Path(work) if work is not None else out.with_name(out.name + ".work")

    def provenance(self) -> dict[str, Any]:
        """Options as recorded in ``manifest.json`` (no machine-specific paths)."""
        return {
            "raw": "bundled samples" if self.raw_root is None else "raw root",
            "sources": list(self.sources),
            "profile": self.profile.value,
            "language_filter": self.language_filter,
            "dedup_threshold": self.dedup_threshold,
            "num_perm": self.num_perm,
            "upstream_instructions": sha256_file(self.instructions) if self.instructions else None,
            "allow_incomplete": self.allow_incomplete,
            "limits": self.limits.key(),
        }


@dataclass
class BuildResult:
    """What a build produced: the release folder, its manifest, the ledger."""

    release: Path | str  # a URL when the build wrote to object storage
    manifest: ReleaseManifest
    ledger: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Wall seconds per stage (convert, filter, dedup, assemble, release) and in total.
    timings: dict[str, float] = field(default_factory=dict)



# -- orchestration --------------------------------------------------------------------


#: Warnings about the build's input (folders under --raw-root that match no source).
log = logging.getLogger("medsins.build")


def select_sources(options: BuildOptions) -> list[tuple[str, Path]]:
    """The (source id, raw folder) pairs a build covers.

    A source that cannot be loaded stops the build (its reason in plain words);
    a folder under ``raw_root`` named after no source is a warning with the
    closest source names, so a misspelt folder is not left out silently.
    """
    found = catalog()
    if found.broken:
        raise MedsinsError("; ".join(found.problems) + " (fix or remove it: `medsins check-source all` checks "
                           "every source)")
    if options.raw_root is not None:
        _warn_unmatched_folders(options.raw_root, list(found.sources))
    wanted = list(options.sources) or sorted(found.sources)
    for name in wanted:
        found.get(name)  # unknown names raise with close matches
    pairs = []
    for name in sorted(wanted):
        source = found.get(name)
        if options.raw_root is None:
            pairs.append((name, source.sample_dir))
            continue
        raw = options.raw_root / name
        if raw.is_dir():
            pairs.append((name, raw))
        elif options.sources:
            raise MedsinsError(f"--raw-root {options.raw_root}: no folder {name}/ for source {name}")
    if not pairs:
        raise MedsinsError(f"--raw-root {options.raw_root}: no folder named after a known source")
    return pairs


def _folder_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _warn_unmatched_folders(raw_root: Path, source_ids: list[str]) -> None:
    """Warn about each folder of ``raw_root`` that no source reads, with the closest source names."""
    import difflib

    try:
        folders = sorted(p.name for p in raw_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return  # check_paths already refused an unlistable raw root
    keys: dict[str, list[str]] = defaultdict(list)
    for source_id in source_ids:
        keys[_folder_key(source_id)].append(source_id)
    known = set(source_ids)
    for folder in folders:
        if folder in known:
            continue
        # pubmed_qa, PubMedQA, pubmed-qa: the same name spelt differently, before any fuzzy match
        close = keys.get(_folder_key(folder)) or difflib.get_close_matches(folder, source_ids, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        log.warning("--raw-root %s: folder %s/ matches no source, not built%s", raw_root, folder, hint)


def _progress(quiet: bool) -> AbstractContextManager[progress.Feedback]:
    """Stage feedback: bars on a terminal, a log line per stage and every ~10 s elsewhere, nothing when quiet."""
    return progress.feedback("build", quiet)


def build(options: BuildOptions) -> BuildResult:
    """Run the whole build; see the module docstring for the stages.

    Before any work, in well under a second: every path is checked
    (:func:`medsins.workfolder.check_paths`), the sources and their raw folders
    are resolved, ``--instructions`` is read, and the work folder is locked
    (:class:`medsins.workfolder.WorkLock`) for the whole build, so a second
    build on it stops at once. Leftovers of killed builds beside the release
    folder are removed.
    """
    from medsins.storage import build_with_urls, is_url
    from medsins.workfolder import WorkLock, check_out_name, check_paths, check_raw_folder, remove_leftovers

    if any(is_url(location) for location in (options.raw_root, options.out, options.work)):
        return build_with_urls(options, build)  # object storage: staged through local cache folders
    options = _local_paths(options)
    check_out_name(options.out)  # first: options.work_dir is derived from the name
    work = options.work_dir
    check_paths(options.out, work, options.raw_root, options.instructions)
    pairs = select_sources(options)
    for name, raw in pairs:
        check_raw_folder(raw, flag=f"source {name}: ")
    upstream = None
    if options.instructions is not None:  # read now: a bad file stops the build before any work
        from medsins.upstream_instructions import read_instruction_variants

        upstream = read_instruction_variants(options.instructions)
    work.mkdir(parents=True, exist_ok=True)
    with WorkLock(work):
        remove_leftovers(options.out)
        try:
            return _build_locked(options, pairs, upstream)
        except OSError as exc:
            if exc.filename is not None:
                raise
            # A write that failed (a full disk) names no file: name the build's folders instead.
            raise MedsinsError(f"{options.out} (work folder {work}): {exc.strerror or exc}") from exc


def _local_paths(options: BuildOptions) -> BuildOptions:
    """``options`` with its locations as :class:`~pathlib.Path` (a caller may pass strings)."""
    return replace(
        options, out=Path(options.out),
        raw_root=None if options.raw_root is None else Path(options.raw_root),
        work=None if options.work is None else Path(options.work),
    )


def _build_locked(
    options: BuildOptions, pairs: list[tuple[str, Path]], upstream: dict[str, Any] | None
) -> BuildResult:
    """The pipeline of :func:`build`, once its checks passed and the work folder is locked.

    Each stage reads the previous one's output in the work folder (see
    :mod:`medsins.pipeline`); the executor runs the per-source stages.
    """
    ids = [name for name, _ in pairs]
    work = options.work_dir
    clock = _Clock({})
    engine = executor(options.engine, options.workers, options.ray_address)
    try:
        with _progress(options.quiet) as feedback:
            feedback.note(f"{len(ids)} sources, profile {options.profile.value}, {_engine_note(options)}, "
                          f"work folder {work}")
            with clock("convert"), feedback.stage("convert", len(pairs)) as stage:
                convert_done = engine.map("convert", stage, convert_stage,
                                          [(name, raw, work, options.limits) for name, raw in pairs])
            converted = sum(done["records"] for done in convert_done)
            with clock("filter"), feedback.stage("filter", len(ids), records_total=converted) as stage:
                filter_done = engine.map("filter", stage, filter_stage,
                                         [(name, work, options.profile, options.language_filter) for name in ids])
            with clock("dedup"), feedback.stage("dedup") as stage, progress.counting(stage.add_records):
                drops = dedup_stage(ids, work, options, engine)
                stage.advance()
            with clock("assemble"), feedback.stage("assemble") as stage, progress.counting(stage.add_records):
                kept_path, ledger_path, fate_counts = _assemble(ids, work, drops, engine)
                stage.advance()
            counts = _count(ids, convert_done, filter_done, fate_counts)
            manifest = _manifest(options, ids, convert_done, counts, ledger_path)
            feedback.note(f"{counts['total']['kept']:,} of {counts['total']['entered']:,} records kept; "
                          "writing the release")
            with clock("release"), feedback.stage("release") as stage:
                manifest = _release(options, ids, kept_path, manifest, upstream, ledger_path, engine)
                stage.advance()
    finally:
        engine.close()
    clock.timings["total"] = time.perf_counter() - clock.start
    return BuildResult(options.out, manifest, ledger_path, counts, clock.timings)


def _engine_note(options: BuildOptions) -> str:
    if options.engine == "local":
        return f"{max(1, options.workers)} worker(s)"
    return f"engine {options.engine}" + (f" at {options.ray_address}" if options.ray_address else "")


def _assemble(
    ids: list[str], work: Path, drops: Drops, engine: Executor
) -> tuple[Path, Path, Counter[tuple[str, str]]]:
    """The assemble stage and the build's ledger: convert's and filter's lines, then assemble's."""
    ledger_path = work / LEDGER_NAME
    ledger = LedgerWriter(work / (LEDGER_NAME + ".tmp"))
    for name in ids:
        ledger.extend(read_lines(work / "convert" / name / "ledger.jsonl"))
        ledger.extend(read_lines(work / "filter" / name / "ledger.jsonl"))
    kept_path, fate_counts = assemble_stage(ids, work, drops, ledger, engine)
    ledger.close()
    os.replace(ledger.path, ledger_path)
    return kept_path, ledger_path, fate_counts


def _manifest(
    options: BuildOptions, ids: list[str], convert_done: list[dict[str, Any]],
    counts: dict[str, dict[str, int]], ledger_path: Path,
) -> ReleaseManifest:
    """The release's manifest, once the counts add up and something is kept (else the build stops)."""
    found = catalog()
    work = options.work_dir
    unreadable = _unreadable_spots(ids, work)
    if unreadable and not options.allow_incomplete:
        raise IncompleteInputError(unreadable, counts, work)
    manifest = ReleaseManifest(
        medsins_version=__version__,
        profile=options.profile.value,
        publishable=options.profile.publishable,
        options=options.provenance(),
        sources={
            name: SourceProvenance(
                license=found.get(name).manifest.license,
                access=found.get(name).manifest.access.value,
                version=found.get(name).manifest.version,
                native=found.get(name).manifest.native,
                raw_files=convert_done[i]["raw_files"],
            )
            for i, name in enumerate(ids)
        },
        counts={k: FateCounts(**v) for k, v in counts.items()},
        unreadable=unreadable,
    )
    for name, fates in counts.items():
        if not FateCounts(**fates).balanced():
            raise MedsinsError(f"internal: ledger of {name} does not add up: {fates}")
    if counts["total"]["kept"] == 0:
        dropped = ", ".join(f"{fate} {n}" for fate, n in counts["total"].items() if fate != "entered" and n)
        raise MedsinsError(
            f"nothing to release: all {counts['total']['entered']} records were dropped ({dropped}); "
            f"see {ledger_path}"
        )
    return manifest


def _release(
    options: BuildOptions, ids: list[str], kept_path: Path, manifest: ReleaseManifest,
    upstream: dict[str, Any] | None, ledger_path: Path, engine: Executor,
) -> ReleaseManifest:
    """The release stage: shards (written by the engine), card and manifest into ``options.out`` (atomic rename)."""
    from medsins.release.writer import write_release

    found = catalog()
    return write_release(
        kept_path, options.out, registry=found.registry,
        sources={name: found.get(name).manifest for name in ids}, manifest=manifest,
        upstream_instructions=upstream, ledger=ledger_path,
        card_extras={"repo_id": options.repo_id} if options.repo_id else None,
        shard_writer=engine.shard_writer(),
    )


class IncompleteInputError(MedsinsError):
    """Parts of the raw files could not be read; the build stops before the release stage.

    The work folder keeps every stage's output and the ledger, so the build can be
    rerun with the files fixed, or with ``allow_incomplete`` to release without them.
    """

    def __init__(self, spots: dict[str, list[str]], counts: dict[str, dict[str, int]], work: Path) -> None:
        self.spots = spots
        self.counts = counts
        parts = [f"{name}: {counts[name]['unreadable']} ({spots[name][0]}"
                 + (", ..." if counts[name]["unreadable"] > 1 else "") + ")" for name in sorted(spots)]
        super().__init__(
            "raw input not completely read, unreadable spots in " + "; ".join(parts)
            + f". Every spot is listed in {work}/convert/<source>/unreadable.jsonl. Fix the files, or pass "
            "--allow-incomplete to release without them (the manifest and card then say what is missing)."
        )


def _unreadable_spots(ids: list[str], work: Path) -> dict[str, list[str]]:
    """Per source, its first :data:`UNREADABLE_LISTED` unreadable spots ('file, where: problem')."""
    spots: dict[str, list[str]] = {}
    for name in ids:
        path = work / "convert" / name / "unreadable.jsonl"
        listed: list[str] = []
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                entry = json.loads(line)
                listed.append(f"{entry['origin']}: {entry['reason']}")
                if len(listed) >= UNREADABLE_LISTED:
                    break
        if listed:
            spots[name] = listed
    return spots


class _Clock:
    """Wall seconds per stage, into ``timings`` (reported by ``BuildResult.timings``)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.start = time.perf_counter()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start



def _count(
    ids: list[str], convert_done: list[dict[str, Any]], filter_done: list[dict[str, Any]],
    fate_counts: Counter[tuple[str, str]],
) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for name, conv, filt in zip(ids, convert_done, filter_done, strict=True):
        row = dict.fromkeys(FATES, 0)
        row["invalid"] = conv["rejected"]
        row["conflict"] = conv.get("conflict", 0)
        row["license"] = filt.get("license", 0)
        row["language"] = filt.get("language", 0)
        row["kept"] = fate_counts[(name, "kept")]
        row["contaminates"] = fate_counts[(name, "contaminates")]
        row["duplicate"] = conv.get("duplicate", 0) + fate_counts[(name, "duplicate")]
        entered = conv["records"] + conv["rejected"] + conv.get("duplicate", 0) + conv.get("conflict", 0)
        counts[name] = {"entered": entered, **row, "unreadable": sum(conv.get("unreadable", {}).values())}
    total = {fate: sum(c[fate] for c in counts.values()) for fate in ("entered", *FATES, "unreadable")}
    counts["total"] = total
    return counts


def summary_rows(counts: dict[str, dict[str, int]]) -> list[list[object]]:
    """Rows of the final summary table (one per source, then the total)."""
    return [[name, c["entered"], *(c[f] for f in FATES), c["unreadable"]] for name, c in counts.items()]
