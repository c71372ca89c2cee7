"""The dataset card (``README.md``) of a release and the configs it declares.

The YAML front matter is what ``datasets`` and the Hub read: ``configs`` (which
shards each config is made of) and an exact ``dataset_info`` per config
(features in ``datasets``' YAML form, ``num_examples`` that ``datasets``
verifies on load, ``num_bytes`` equal to what it records). The body is for
people: what the dataset is, how this release was built, every task with its
counts, the license of every source and how to load it.

Every list is sorted and nothing depends on the clock, so the same shards give
the same card byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import yaml

from medsins.errors import ReleaseError
from medsins.records import UNKNOWN_LICENSE, SourceManifest, Split
from medsins.registry import BENCH_CONFIG, Registry
from medsins.release.manifest import ReleaseManifest
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

_FIELD_NOTES = {
    "id": "stable id: task id + 64-bit hash of (task, source, split, raw id)",
    "task_id": "MedS-Ins task id, e.g. `task125`",
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


def _front_matter(
    configs: list[ReleaseConfig], stats: ShardStats, registry: Registry, extras: Mapping[str, object]
) -> dict[str, object]:
    everything = configs[0]
    license_id, license_name = hub_license(lic for per in stats.licenses.values() for lic in per)
    categories = {registry.get(t).category for t in everything.tasks if t in registry}
    task_categories = sorted({"text-generation", *(_HUB_TASKS[c] for c in categories if c in _HUB_TASKS)})
    tags = ["biomedical", "clinical", "instruction-tuning", "medical", "meds-ins"]
    if any(c.kind == "bench" for c in configs):
        tags.append("meds-bench")
    tags = sorted(set(tags) | set(_string_list(extras.get("tags", []), "tags")))
    front: dict[str, object] = {
        "pretty_name": str(extras.get("pretty_name", DEFAULT_PRETTY_NAME)),
        "license": license_id,
    }
    if license_name:
        front["license_name"] = license_name
    front |= {
        "language": sorted(stats.languages),
        "task_categories": task_categories,
        "size_categories": [size_category(sum(everything.num_examples.values()))],
        "tags": tags,
        "configs": [
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
        "dataset_info": [
            {
                "config_name": c.name,
                "features": features_yaml(),
                "splits": [
                    {"name": split, "num_bytes": size.num_bytes, "num_examples": size.num_examples}
                    for split, size in c.splits.items()
                ],
                "download_size": c.download_size,
                "dataset_size": c.dataset_size,
            }
            for c in configs
        ],
    }
    return front


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
    total = sum(everything.num_examples.values())
    lines = [f"# {name}", ""]
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
        f"({', '.join(sorted(stats.languages))}).",
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
        "task (`task125`), `bench` with the test split of every MedS-Bench task, and one per "
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
    lines += _load_section(repo_id)

    lines += ["## Record fields", ""]
    lines += _table(
        ["Field", "Type", "Meaning"],
        (
            [f"`{item.name}`", "list of string" if pa.types.is_list(item.type) else "string",
             _FIELD_NOTES.get(item.name, "")]
            for item in RECORD_SCHEMA
        ),
    )
    lines.append("")

    lines += ["## Citation", "", "Please cite the MedS-Ins paper:", ""]
    lines += ["```bibtex", PAPER_CITATION, "```", ""]
    cited = [s for s in sorted(stats.licenses) if s in sources]
    if cited:
        lines += ["and the corpora this release is built from:", ""]
        lines += [f"- **{sources[s].name}** (`{s}`): {_cell(sources[s].citation)}" for s in cited]
        lines.append("")
    return lines


def _license_section(stats: ShardStats, sources: Mapping[str, SourceManifest]) -> list[str]:
    lines = [
        "## Licenses",
        "",
        "Each record carries its own `license`; the release as a whole is under the licenses of "
        "its sources. Respect each one (attribution, share-alike, non-commercial terms).",
        "",
    ]
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
    lines += _table(["Source", "Corpus", "License", "Access", "Records", "Homepage"], rows)
    lines.append("")
    return lines


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


def _load_section(repo_id: str) -> list[str]:
    return [
        "## Loading",
        "",
        "```python",
        "import medsins",
        'ds = medsins.load("ner")                      # DatasetDict (train/test) of every NER task',
        'ds = medsins.load("task125", split="test")    # one task, one split',
        'ds = medsins.load("mcqa", split="test")       # a MedS-Bench group',
        "",
        "from datasets import load_dataset",
        f'ds = load_dataset("{repo_id}", "ner")',
        "",
        "import polars as pl",
        f'df = pl.read_parquet("hf://datasets/{repo_id}/{DATA_DIR}/ner/*/train-*.parquet")',
        "```",
        "",
        "`medsins.load` reads a local release when given `path=` or `MEDSINS_RELEASE`. "
        "`datasets` converts the Parquet shards of a config to Arrow once, in its cache, "
        "and memory-maps them from there.",
        "",
    ]


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
    """The whole ``README.md``: YAML front matter, then the Markdown body."""
    extras = dict(extras or {})
    unknown = sorted(set(extras) - CARD_EXTRA_KEYS)
    if unknown:
        expected = ", ".join(sorted(CARD_EXTRA_KEYS))
        raise ReleaseError(f"unknown card_extras key {unknown[0]!r}; expected one of: {expected}")
    front = _front_matter(configs, stats, registry, extras)
    text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
    body = _body(
        configs, stats, registry=registry, sources=sources, manifest=manifest, extras=extras, repo_id=repo_id
    )
    return "---\n" + text + "---\n\n" + "\n".join(body).rstrip("\n") + "\n"

