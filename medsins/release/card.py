"""The dataset card (``README.md``) of a release and the configs it declares.

The YAML front matter is what ``datasets`` and the Hub read: ``configs`` (which
shards each config is made of) and an exact ``dataset_info`` per config
(``num_examples`` that ``datasets`` verifies on load, ``num_bytes`` equal to
what it records), plus the Hub's discovery fields (license with its link,
languages, multilinguality, source datasets, task categories). The body is for
people: what the dataset is, where it is published, how this release was built,
every task with its counts, the license of every source and how to load it.

Every config has the same columns, so the features schema is written once, on
the default config ``all``; the other configs take the identical schema from
their Parquet files (``datasets`` reads it from the first shard when a config's
``dataset_info`` has no ``features``). Repeating it per config cost about 800
bytes a config, 120 kB for the ~150 configs of a full MedS-Ins release.

Every list is sorted and nothing depends on the clock, so the same shards give
the same card byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
from huggingface_hub import DatasetCard, DatasetCardData
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from medsins.errors import ReleaseError
from medsins.ledger import LEDGER_NAME
from medsins.records import UNKNOWN_LICENSE, SourceManifest, Split, Task
from medsins.registry import BENCH_CONFIG, Registry
from medsins.release.manifest import INSTRUCTIONS_NAME, MANIFEST_NAME, ReleaseManifest
from medsins.release.schema import RECORD_SCHEMA
from medsins.release.shard import DATA_DIR, Shard, ShardStats
from medsins.taxonomy import ALL_CONFIG, CATEGORIES, Category, resolve_config

#: The MedS-Ins paper, cited by every release.
PAPER_CITATION = """\
@article{wu2024medsins,
  title   = {Towards Evaluating and Building Versatile Large Language Models for Medicine},
  author  = {Wu, Chaoyi and Qiu, Pengcheng and Liu, Jinxin and Gu, Hongfei and Li, Na and
             Zhang, Ya and Wang, Yanfeng and Xie, Weidi},
  journal = {arXiv preprint arXiv:2408.12547},
  year    = {2024},
  url     = {https://arxiv.org/abs/2408.12547}
}"""

DEFAULT_PRETTY_NAME = "MedS-Ins"

#: Where a dataset repo lives on the Hub (``HUB_DATASETS_URL + "org/name"``).
HUB_DATASETS_URL = "https://huggingface.co/datasets/"

#: The release file listing every source's license; the card's ``license_link`` points at it.
LICENSE_FILE = "LICENSE.md"

#: The release file with the Croissant (JSON-LD) description, written by :mod:`medsins.release.croissant`.
CROISSANT_FILE = "croissant.json"

#: The hidden line of the card body that names its repository (read by :func:`retarget_card`).
_REPO_MARK = "<!-- medsins:repo_id={} -->"
_REPO_MARK_RE = re.compile(r"<!-- medsins:repo_id=(?P<repo>[^\s]+) -->")

#: Keys ``card_extras`` may carry.
CARD_EXTRA_KEYS = frozenset({"pretty_name", "repo_id", "tags", "description"})

#: Split order in configs and tables.
SPLITS = tuple(s.value for s in Split)

#: SPDX ids the Hub knows under another name (its license list is lower-case).
_HUB_LICENSE_ALIASES = {
    "AGPL-3.0-only": "agpl-3.0",
    "GPL-2.0-only": "gpl-2.0",
    "GPL-3.0-only": "gpl-3.0",
    "LGPL-2.1-only": "lgpl-2.1",
    "LGPL-3.0-only": "lgpl-3.0",
    "ODC-By-1.0": "odc-by",
    "ODbL-1.0": "odbl",
    "PDDL-1.0": "pddl",
}
#: The data-relevant part of the Hub's license list (ids as the Hub spells them).
_HUB_LICENSES = frozenset(
    {
        "apache-2.0", "mit", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd-2-clause", "bsd-3-clause",
        "bsd-3-clause-clear", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0",
        "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0",
        "epl-2.0", "etalab-2.0", "eupl-1.1", "agpl-3.0", "gfdl", "gpl-2.0", "gpl-3.0",
        "lgpl-2.1", "lgpl-3.0", "isc", "mpl-2.0", "odc-by", "odbl", "pddl", "ofl-1.1", "ncsa",
        "unlicense", "zlib",
    }
)

#: Hub task categories a MedS-Ins category also belongs to (every task is text generation).
_HUB_TASKS = {
    Category.SUMMARIZATION: "summarization",
    Category.QUESTION_ANSWERING: "question-answering",
    Category.TEXT_CLASSIFICATION: "text-classification",
    Category.NLI: "text-classification",
    Category.FACT_VERIFICATION: "text-classification",
    Category.INTENT: "text-classification",
    Category.WORD_RELATION: "text-classification",
    Category.NER: "token-classification",
    Category.TRANSLATION: "translation",
}

_SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
)

#: What each ledger fate means, for the build section.
_FATES = {
    "invalid": "not a valid record (validation failed; the message is in the ledger)",
    "conflict": "a raw item repeated with the same input but a different gold answer: quarantined, not resolved",
    "license": "license or access level not allowed by the release profile",
    "language": "declared language contradicted by the detected one",
    "duplicate": "a repeated raw item, or an exact or near duplicate (MinHash) of a record kept elsewhere",
    "contaminates": "training record overlapping a test / benchmark record",
}

#: What each record column means (card body, Croissant field descriptions).
FIELD_NOTES = {
    "id": "stable id: task id + 64-bit hash of (task, source, split, raw id)",
    "task_id": "MedS-Ins task id, `task` and its number",
    "source": "corpus (source) id",
    "category": "one of the 19 MedS-Ins task categories",
    "config": "short category config name, e.g. `ner`",
    "split": "`train` or `test`",
    "instruction": "the task instruction",
    "input": "the task input",
    "output": "the reference output",
    "input_language": "ISO 639-1",
    "output_language": "ISO 639-1",
    "instruction_language": "ISO 639-1",
    "license": "SPDX id (or `LicenseRef-…`) of this record",
    "text_source": "exam, medical knowledge, clinical text, academic paper or daily conversation",
    "domains": "medical domains of the task",
    "options": "multiple-choice options as `A. …`, in order (empty otherwise)",
    "raw_id": "the item's id in its corpus",
    "origin": "file and line / record the item came from",
}


@dataclass(frozen=True)
class SplitSize:
    """``num_examples`` and ``num_bytes`` of one split of one config."""

    num_examples: int
    num_bytes: int


@dataclass(frozen=True)
class ReleaseConfig:
    """One config of the release: its shard globs, sizes and tasks."""

    name: str
    kind: str  # all | category | bench | benchmark | task
    data_files: dict[str, list[str]]
    splits: dict[str, SplitSize]
    download_size: int
    tasks: tuple[str, ...]
    default: bool = False
    title: str = ""

    @property
    def dataset_size(self) -> int:
        """Sum of the splits' ``num_bytes``."""
        return sum(s.num_bytes for s in self.splits.values())

    @property
    def num_examples(self) -> dict[str, int]:
        """Split -> rows (the manifest's view of the config)."""
        return {split: size.num_examples for split, size in self.splits.items()}


def _config(
    name: str, kind: str, chosen: list[Shard], globs: Mapping[str, list[str]], *, title: str = "",
    default: bool = False,
) -> ReleaseConfig:
    splits = {}
    for split in SPLITS:
        members = [s for s in chosen if s.split == split]
        if members:
            splits[split] = SplitSize(sum(s.rows for s in members), sum(s.num_bytes for s in members))
    return ReleaseConfig(
        name=name,
        kind=kind,
        # Only splits with a shard: a glob that matches nothing breaks ``datasets``.
        data_files={split: list(globs[split]) for split in splits},
        splits=splits,
        download_size=sum(s.bytes for s in chosen),
        tasks=tuple(dict.fromkeys(s.task_id for s in chosen)),
        default=default,
        title=title,
    )


def plan_configs(shards: list[Shard], registry: Registry) -> list[ReleaseConfig]:
    """Every config the shards support: ``all``, categories, ``bench``, benchmark groups, tasks.

    Order: ``all`` (the default), category configs in taxonomy order, ``bench``,
    benchmark groups that are not category configs (``mcqa``, ``rationale``) in
    registry order, then one config per task by task number.
    """
    if not shards:
        raise ReleaseError("nothing to release: no kept records")
    order = {task.id: index for index, task in enumerate(registry)}
    shards = sorted(shards, key=lambda s: (order.get(s.task_id, len(order)), s.task_id, s.split, s.path))
    per_split = {split: [f"{DATA_DIR}/*/*/{split}-*.parquet"] for split in SPLITS}
    configs = [_config(ALL_CONFIG, "all", shards, per_split, title="every task", default=True)]
    for info in CATEGORIES:
        chosen = [s for s in shards if s.config == info.config]
        if chosen:
            globs = {split: [f"{DATA_DIR}/{info.config}/*/{split}-*.parquet"] for split in SPLITS}
            configs.append(_config(info.config, "category", chosen, globs, title=info.category.value))

    def test_of(tasks: Iterable[str]) -> list[Shard]:
        wanted = set(tasks)
        return [s for s in shards if s.task_id in wanted and s.split == Split.TEST.value]

    def task_globs(chosen: list[Shard]) -> dict[str, list[str]]:
        # A benchmark config lists each task's test shards explicitly.
        folders = dict.fromkeys(f"{DATA_DIR}/{s.config}/{s.task_id}" for s in chosen)
        return {Split.TEST.value: [f"{folder}/test-*.parquet" for folder in folders]}

    bench = test_of(t.id for t in registry if t.benchmark)
    if bench:
        configs.append(_config(BENCH_CONFIG, "bench", bench, task_globs(bench), title="MedS-Bench (test)"))
    for group in registry.benchmark_configs():
        if resolve_config(group) is not None or group in (ALL_CONFIG, BENCH_CONFIG):
            continue  # a category config of that name already exists
        chosen = test_of(t.id for t in registry if t.benchmark == group)
        if chosen:
            title = f"MedS-Bench {group}"
            configs.append(_config(group, "benchmark", chosen, task_globs(chosen), title=title))
    for task_id in dict.fromkeys(s.task_id for s in shards):
        chosen = [s for s in shards if s.task_id == task_id]
        folder = f"{DATA_DIR}/{chosen[0].config}/{task_id}"
        globs = {split: [f"{folder}/{split}-*.parquet"] for split in SPLITS}
        title = registry.get(task_id).name if task_id in registry else task_id
        configs.append(_config(task_id, "task", chosen, globs, title=title))
    return configs


# -- YAML front matter -------------------------------------------------------------


def features_yaml(schema: pa.Schema = RECORD_SCHEMA) -> list[dict[str, str]]:
    """The schema as ``datasets`` writes features in YAML (``dtype`` / ``list``)."""
    out = []
    for item in schema:
        if pa.types.is_string(item.type):
            out.append({"name": item.name, "dtype": "string"})
        elif pa.types.is_list(item.type) and pa.types.is_string(item.type.value_type):
            out.append({"name": item.name, "list": "string"})
        else:  # the record schema has only these two kinds; fail loudly if it grows
            raise ReleaseError(f"no YAML feature form for column {item.name} of type {item.type}")
    return out


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` if it is a Hub dataset repo id ``ORG/NAME``; :class:`ReleaseError` otherwise."""
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise ReleaseError(f"not a Hub repo id {repo_id!r}: {exc}") from None
    if repo_id.count("/") != 1:
        raise ReleaseError(f"not a Hub repo id {repo_id!r}: expected ORG/NAME")
    return repo_id


def hub_license(licenses: Iterable[str]) -> tuple[str, str | None]:
    """The card's ``license`` (and ``license_name`` when it is ``other``).

    One license the Hub knows → its lower-cased id; only NOASSERTION →
    ``unknown``; anything else (mixed, or a ``LicenseRef-…``) → ``other``.
    """
    found = sorted(set(licenses))
    if len(found) == 1:
        (only,) = found
        if only == UNKNOWN_LICENSE:
            return "unknown", None
        hub = _HUB_LICENSE_ALIASES.get(only, only.lower())
        if hub in _HUB_LICENSES:
            return hub, None
        return "other", only.lower()
    return "other", "per-source-licenses"


def size_category(rows: int) -> str:
    """The Hub's size bucket for ``rows`` records."""
    for bound, label in _SIZE_CATEGORIES:
        if rows < bound:
            return label
    return "n>100M"


def multilinguality(languages: Iterable[str], tasks: Iterable[Task]) -> list[str]:
    """The Hub's ``multilinguality``: ``monolingual`` or ``multilingual``, plus ``translation``.

    ``translation`` is added when a task's output language differs from its input
    language (the translation tasks), as the Hub's tagging convention asks.
    """
    values = ["monolingual" if len(set(languages)) <= 1 else "multilingual"]
    if any(set(t.output_languages) != set(t.input_languages) for t in tasks):
        values.append("translation")
    return values


def hub_dataset_id(url: str) -> str | None:
    """``org/name`` when ``url`` is a Hub dataset page (``https://huggingface.co/datasets/org/name…``)."""
    match = re.match(re.escape(HUB_DATASETS_URL) + r"([\w.-]+/[\w.-]+)", url)
    return match[1] if match else None


def source_datasets(source_ids: Iterable[str], sources: Mapping[str, SourceManifest]) -> list[str]:
    """The Hub's ``source_datasets``: each corpus's Hub id when it lives on the Hub, else its source id.

    The Hub links an entry that names one of its datasets; a corpus published
    elsewhere is named by its medsins source id (its homepage is in the card).
    """
    out = []
    for source_id in source_ids:
        manifest = sources.get(source_id)
        out.append((manifest and hub_dataset_id(str(manifest.homepage))) or source_id)
    return sorted(set(out))


def _front_matter(
    configs: list[ReleaseConfig], stats: ShardStats, registry: Registry, extras: Mapping[str, object],
    sources: Mapping[str, SourceManifest],
) -> DatasetCardData:
    everything = configs[0]
    license_id, license_name = hub_license(lic for per in stats.licenses.values() for lic in per)
    tasks = [registry.get(t) for t in everything.tasks if t in registry]
    task_categories = sorted({"text-generation", *(_HUB_TASKS[t.category] for t in tasks if t.category in _HUB_TASKS)})
    tags = ["biomedical", "clinical", "instruction-tuning", "medical", "meds-ins"]
    if any(c.kind == "bench" for c in configs):
        tags.append("meds-bench")
    tags = sorted(set(tags) | set(_string_list(extras.get("tags", []), "tags")))
    dataset_info = []
    for c in configs:
        info: dict[str, object] = {"config_name": c.name}
        if c.default:  # once: every config has this schema (see the module docstring)
            info["features"] = features_yaml()
        info |= {
            "splits": [
                {"name": split, "num_bytes": size.num_bytes, "num_examples": size.num_examples}
                for split, size in c.splits.items()
            ],
            "download_size": c.download_size,
            "dataset_size": c.dataset_size,
        }
        dataset_info.append(info)
    return DatasetCardData(
        pretty_name=str(extras.get("pretty_name", DEFAULT_PRETTY_NAME)),
        license=license_id,
        # The Hub's card spec: ``license: other`` needs a name and a link (here: a file of the repo).
        license_name=license_name,
        license_link=LICENSE_FILE if license_id == "other" else None,
        language=sorted(stats.languages),
        multilinguality=multilinguality(stats.languages, tasks),
        source_datasets=source_datasets(stats.licenses, sources),
        task_categories=task_categories,
        size_categories=[size_category(sum(everything.num_examples.values()))],
        tags=tags,
        configs=[
            {
                "config_name": c.name,
                "data_files": [
                    {"split": split, "path": globs[0] if len(globs) == 1 else globs}
                    for split, globs in c.data_files.items()
                ],
                **({"default": True} if c.default else {}),
            }
            for c in configs
        ],
        dataset_info=dataset_info,
    )


def _string_list(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReleaseError(f"card_extras[{key!r}] must be a list of strings")
    return value


# -- Markdown body -----------------------------------------------------------------


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ").strip()


def _table(header: list[str], rows: Iterable[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _n(value: int) -> str:
    return f"{value:,}"


def _size(nbytes: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if nbytes < 1000 or unit == "GB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    raise AssertionError("unreachable")


def _split_counts(config: ReleaseConfig) -> list[str]:
    return [_n(config.splits[s].num_examples) if s in config.splits else "–" for s in SPLITS]


@dataclass(frozen=True)
class _Examples:
    """Configs of this release that the card's examples name (never one the release lacks)."""

    category: str  # a category config, e.g. ``ner``
    category_split: str  # a split it has
    task: str  # a task of that category, e.g. ``task125``
    task_split: str  # a split that task has
    group: str | None  # a benchmark config (``mcqa``, else ``bench``), if any


def _examples(configs: list[ReleaseConfig]) -> _Examples:
    by_name = {c.name: c for c in configs}
    categories = [c for c in configs if c.kind == "category"]
    # ``ner`` reads best in the examples; any category config the release has will do.
    category = by_name["ner"] if "ner" in by_name and by_name["ner"].kind == "category" else categories[0]
    tasks = [by_name[t] for t in category.tasks if t in by_name]
    task = next((t for t in tasks if "test" in t.splits), tasks[0])
    group = next((g for g in ("mcqa", BENCH_CONFIG) if g in by_name), None)
    return _Examples(
        category=category.name,
        category_split=next(iter(category.splits)),
        task=task.name,
        task_split="test" if "test" in task.splits else next(iter(task.splits)),
        group=group,
    )


def _body(
    configs: list[ReleaseConfig],
    stats: ShardStats,
    *,
    registry: Registry,
    sources: Mapping[str, SourceManifest],
    manifest: ReleaseManifest,
    extras: Mapping[str, object],
    repo_id: str,
) -> list[str]:
    name = str(extras.get("pretty_name", DEFAULT_PRETTY_NAME))
    everything = configs[0]
    by_name = {c.name: c for c in configs}
    examples = _examples(configs)
    total = sum(everything.num_examples.values())
    lines = [_REPO_MARK.format(repo_id), "", f"# {name}", ""]
    lines += [
        "This dataset is a reproducible build of **MedS-Ins**, the medical instruction-tuning dataset "
        "of Wu et al., "
        "*Towards Evaluating and Building Versatile Large Language Models for Medicine* "
        "([arXiv 2408.12547](https://arxiv.org/abs/2408.12547)), and of the test sets of its "
        "companion benchmark **MedS-Bench**, made with [medsins](https://github.com/medsins/medsins). "
        "Every record was converted from its corpus's native files, validated, tagged with the "
        "MedS-Ins taxonomy, filtered by license and language, and deduplicated across tasks and "
        "splits; every record that entered the build is accounted for below.",
        "",
        f"This release holds {_n(total)} records of {len(everything.tasks)} tasks from "
        f"{len(stats.licenses)} sources, in {len(stats.languages)} language(s) "
        f"({', '.join(sorted(stats.languages))}). It is published as "
        f"[`{repo_id}`]({HUB_DATASETS_URL}{repo_id}).",
        "",
    ]
    if "description" in extras:
        lines += [str(extras["description"]).strip(), ""]
    if not manifest.publishable:
        lines += [
            f"> **Not for publication.** This release was built with the `{manifest.profile}` profile, "
            "which admits records whose license or access level forbids redistribution. "
            "Keep it private and access-controlled.",
            "",
        ]

    lines += ["## Configs", ""]
    lines += [
        "`all` (the default) holds every record. There is one config per task category, one per "
        f"task (`{examples.task}`), `bench` with the test split of every MedS-Bench task, and one per "
        "MedS-Bench group that is not already a category (test split only). Configs select shards "
        "with globs, so each record is stored once.",
        "",
    ]
    summary = [c for c in configs if c.kind != "task"]
    lines += _table(
        ["Config", "Contents", "Tasks", *SPLITS],
        ([f"`{c.name}`", c.title, len(c.tasks), *_split_counts(c)] for c in summary),
    )
    lines.append("")

    lines += ["## Tasks", ""]
    for config in (c for c in configs if c.kind == "category"):
        lines += [f"### `{config.name}` — {config.title}", ""]
        rows = []
        for task_id in config.tasks:
            task = registry.get(task_id) if task_id in registry else None
            per_task = by_name[task_id]
            rows.append([
                f"`{task_id}`",
                task.name if task else "",
                task.corpus if task else "",
                f"`{task.benchmark}`" if task and task.benchmark else "",
                ", ".join(task.input_languages) if task else "",
                *_split_counts(per_task),
            ])
        lines += _table(["Task", "Name", "Corpus", "Benchmark", "Language", *SPLITS], rows)
        lines.append("")

    lines += _license_section(stats, sources)
    lines += _build_section(manifest)
    lines += _load_section(repo_id, examples)
    lines += _files_section()

    lines += ["## Record fields", ""]
    lines += _table(
        ["Field", "Type", "Meaning"],
        (
            [f"`{item.name}`", "list of string" if pa.types.is_list(item.type) else "string",
             FIELD_NOTES.get(item.name, "")]
            for item in RECORD_SCHEMA
        ),
    )
    lines.append("")

    lines += ["## Citation", "", "Please cite the MedS-Ins paper:", ""]
    lines += ["```bibtex", PAPER_CITATION, "```", ""]
    cited = [s for s in sorted(stats.licenses) if s in sources]
    if cited:
        # The corpora's citations (about 330 bytes each) live beside their licenses, not here: a full
        # release cites ~55 corpora, and the card must stay small enough for the Hub (see tests/test_card.py).
        lines += [
            f"and the corpora you use: their citations are in [`{LICENSE_FILE}`]({LICENSE_FILE}) "
            f"(attribution, beside each license) and in `{CROISSANT_FILE}` (`isBasedOn`).",
            "",
        ]
    return lines


def _license_section(stats: ShardStats, sources: Mapping[str, SourceManifest]) -> list[str]:
    lines = [
        "## Licenses",
        "",
        "Each record carries its own `license`; the release as a whole is under the licenses of "
        "its sources. Respect each one (attribution, share-alike, non-commercial terms). "
        f"The same table is in [`{LICENSE_FILE}`]({LICENSE_FILE}) (the card's `license_link`) and, "
        f"as Croissant `license` entries, in [`{CROISSANT_FILE}`]({CROISSANT_FILE}).",
        "",
    ]
    lines += license_table(stats, sources)
    lines.append("")
    return lines


def license_table(stats: ShardStats, sources: Mapping[str, SourceManifest]) -> list[str]:
    """The per-source license table (Markdown lines): source, corpus, license with its link, access, records."""
    rows = []
    for source_id in sorted(stats.licenses):
        manifest = sources.get(source_id)
        for license_id, count in sorted(stats.licenses[source_id].items()):
            url = manifest.license_url if manifest else None
            rows.append([
                f"`{source_id}`",
                manifest.name if manifest else "",
                f"[{license_id}]({url})" if url else license_id,
                manifest.access.value if manifest else "",
                _n(count),
                str(manifest.homepage) if manifest else "",
            ])
    return _table(["Source", "Corpus", "License", "Access", "Records", "Homepage"], rows)


def render_license_file(stats: ShardStats, sources: Mapping[str, SourceManifest], *, pretty_name: str) -> str:
    """``LICENSE.md``: the license and the citation of every source (the card's ``license_link``)."""
    lines = [
        f"# Licenses of {pretty_name}",
        "",
        "This dataset is a compilation: it has no license of its own. Each record is under the license "
        "of the corpus it was converted from (its `license` column). The terms of each source apply to "
        "its records; follow the links for the full text.",
        "",
        *license_table(stats, sources),
        "",
        "`NOASSERTION` means that the corpus publishes no license that medsins could identify: check its "
        "homepage before redistributing its records.",
        "",
        "## Attribution",
        "",
        "Cite the corpora whose records you use (several licenses require it), and the MedS-Ins paper:",
        "",
    ]
    lines += [f"- **{sources[s].name}** (`{s}`): {_cell(sources[s].citation)}" for s in sorted(stats.licenses)
              if s in sources]
    lines += ["", "```bibtex", PAPER_CITATION, "```"]
    return "\n".join(lines) + "\n"


def _build_section(manifest: ReleaseManifest) -> list[str]:
    lines = [
        "## How this release was built",
        "",
        f"Built by medsins {manifest.medsins_version} with the `{manifest.profile}` profile "
        f"({'publishable' if manifest.publishable else 'not publishable'}).",
        "",
    ]
    if manifest.options:
        lines += ["Build options:", ""]
        lines += [
            f"- `{key}`: `{json.dumps(manifest.options[key], sort_keys=True, ensure_ascii=False)}`"
            for key in sorted(manifest.options)
        ]
        lines.append("")
    lines += ["Each record that entered the build is kept or removed for exactly one reason:", ""]
    lines += [f"- **{fate}**: {meaning}" for fate, meaning in _FATES.items()]
    lines.append("")
    if manifest.counts:
        fates = ["entered", "kept", *_FATES]
        names = sorted(k for k in manifest.counts if k != "total")
        if "total" in manifest.counts:
            names.append("total")
        lines += _table(
            ["Source", *fates],
            (
                [f"**{n}**" if n == "total" else f"`{n}`",
                 *(_n(getattr(manifest.counts[n], fate)) for fate in fates)]
                for n in names
            ),
        )
        lines.append("")
    lines += ["`ledger.parquet` has one row per record that entered: its id, source, task, split, fate, the record "
              "it points to (`kept_id`), its origin (file and line) and the reason.", ""]
    if manifest.unreadable:
        lines += ["### Incomplete input", "",
                  "Parts of these sources' raw files could not be read, so the items in them are missing from "
                  "this release (built with `--allow-incomplete`):", ""]
        for name in sorted(manifest.unreadable):
            spots = manifest.unreadable[name]
            total = manifest.counts[name].unreadable if name in manifest.counts else len(spots)
            lines.append(f"- `{name}`: {total} unreadable spot(s)")
            lines += [f"  - {spot}" for spot in spots[:10]]
        lines.append("")
    return lines


def _load_section(repo_id: str, examples: _Examples) -> list[str]:
    cat, task = examples.category, examples.task
    code = [
        (f'ds = medsins.load("{cat}", repo_id=repo)', f"DatasetDict of every `{cat}` task"),
        (f'ds = medsins.load("{task}", split="{examples.task_split}", repo_id=repo)', "one task, one split"),
    ]
    if examples.group:
        code.append((f'ds = medsins.load("{examples.group}", split="test", repo_id=repo)', "MedS-Bench test records"))
    width = max(len(line) for line, _ in code) + 2  # aligns the comments
    return [
        "## Loading",
        "",
        "```python",
        "import medsins",
        f'repo = "{repo_id}"',
        *(f"{line:<{width}}# {note}" for line, note in code),
        "",
        "from datasets import load_dataset",
        f'ds = load_dataset("{repo_id}", "{cat}")',
        "",
        "import polars as pl",
        f'df = pl.read_parquet("hf://datasets/{repo_id}/{DATA_DIR}/{cat}/*/{examples.category_split}-*.parquet")',
        "```",
        "",
        "`medsins.load` reads a local release instead when given `path=` or `MEDSINS_RELEASE`. "
        "`datasets` converts the Parquet shards of a config to Arrow once, in its cache, and memory-maps them "
        "from there.",
        "",
    ]


def _files_section() -> list[str]:
    lines = [
        "## Files",
        "",
        f"- `{DATA_DIR}/<config>/<task>/<split>-0000i-of-0000N.parquet`: the records (zstd Parquet shards).",
        f"- `{CROISSANT_FILE}`: the dataset described in [Croissant 1.1](https://docs.mlcommons.org/croissant/) "
        "JSON-LD, with its Responsible-AI fields (data collection, personal and sensitive information, "
        "biases, limitations) and the license of each source; "
        f'`mlcroissant.Dataset(jsonld="{CROISSANT_FILE}")` reads the records through it.',
        f"- `{LICENSE_FILE}`: the license and the citation of each source.",
        f"- `{INSTRUCTIONS_NAME}`: each task's definition and instruction variants.",
        f"- `{LEDGER_NAME}`: the fate of every record that entered the build (when the build provided it).",
        f"- `{MANIFEST_NAME}`: provenance, counts and the sha256 of every other file.",
        "",
    ]
    return lines


def render_card(
    configs: list[ReleaseConfig],
    stats: ShardStats,
    *,
    registry: Registry,
    sources: Mapping[str, SourceManifest],
    manifest: ReleaseManifest,
    repo_id: str,
    extras: Mapping[str, object] | None = None,
) -> str:
    """The whole ``README.md``: YAML front matter, then the Markdown body.

    ``repo_id`` (``ORG/NAME``) is the Hub repository the card names (links and
    loading examples); :func:`retarget_card` renders the card for another one.
    """
    extras = dict(extras or {})
    unknown = sorted(set(extras) - CARD_EXTRA_KEYS)
    if unknown:
        expected = ", ".join(sorted(CARD_EXTRA_KEYS))
        raise ReleaseError(f"unknown card_extras key {unknown[0]!r}; expected one of: {expected}")
    check_repo_id(repo_id)
    front = _front_matter(configs, stats, registry, extras, sources)
    body = _body(
        configs, stats, registry=registry, sources=sources, manifest=manifest, extras=extras, repo_id=repo_id
    )
    text = "---\n" + front.to_yaml() + "\n---\n\n" + "\n".join(body).rstrip("\n") + "\n"
    DatasetCard(text)  # huggingface_hub's own parse: raises if the metadata block is not a mapping
    return text


#: Where the renderer writes a repo id: ``load_dataset("ID"``, ``repo = "ID"``, ``hf://datasets/ID/``, Hub links.
_REPO_CONTEXTS = r"""(?P<pre>load_dataset\("|repo = "|hf://datasets/|\[`|{url})"""


def retarget_card(card_text: str, repo_id: str) -> str:
    """``card_text`` (a card :func:`render_card` wrote) as it reads when published to ``repo_id``.

    Every place the renderer names the repository (the hidden repo line, the
    link to the Hub page, the ``load_dataset`` / ``medsins.load`` / polars
    examples) is rewritten; nothing else changes, so the front matter (counts,
    configs, license) is byte for byte the same.

    Raises:
        ReleaseError: ``repo_id`` is not ``ORG/NAME``, or the card does not name
            its repository (not written by medsins).
    """
    check_repo_id(repo_id)
    mark = _REPO_MARK_RE.search(card_text)
    if mark is None:
        raise ReleaseError("the card does not name its repository (no medsins repo line): render it again")
    old = mark["repo"]
    if old == repo_id:
        return card_text
    pattern = re.compile(
        _REPO_CONTEXTS.format(url=re.escape(HUB_DATASETS_URL)) + re.escape(old) + r"""(?=["`/)\\#\s]|$)""",
    )
    text = card_text[: mark.start()] + _REPO_MARK.format(repo_id) + card_text[mark.end() :]
    return pattern.sub(lambda m: m["pre"] + repo_id, text)

