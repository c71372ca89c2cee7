"""``croissant.json``: the release described in MLCommons Croissant 1.1 (JSON-LD).

Croissant is the machine-readable dataset description that dataset search
engines and ML tools read (``mlcroissant``, TFDS, PyTorch loaders). The Hub
derives a Croissant file of its own from the card and the Parquet files, but not
the Responsible-AI (RAI) fields, which only the builder knows: how the data was
collected, what personal or sensitive information it may hold, its biases and
limitations, and the license of each source. This module writes them from the
release's own facts (sources, tasks, counts, profile), with:

- one ``cr:FileObject`` per Parquet shard (path relative to the release, sha256,
  size), so the file also vouches for the shards;
- one ``cr:FileSet`` and one ``cr:RecordSet`` per config that groups tasks
  (``all``, each category, ``bench``, each benchmark group), with one
  ``cr:Field`` per record column (:data:`~medsins.release.schema.RECORD_SCHEMA`)
  and ``id`` as key. The per-task configs of the card are not repeated here: a
  task is the rows of its category's record set with that ``task_id``, and a
  record set per task would multiply the file by ten.

The file is :data:`~medsins.release.card.CROISSANT_FILE` (``croissant.json``).
Paths are relative to the release folder, so ``mlcroissant.Dataset(jsonld=
"release/croissant.json")`` reads a local release and a downloaded snapshot
alike. Plain dicts, no ``mlcroissant`` at run time; the tests read the output
with ``mlcroissant``. The output depends only on its inputs (no clock).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping

import pyarrow as pa

from medsins.records import UNKNOWN_LICENSE, AccessLevel, SourceManifest
from medsins.registry import Registry
from medsins.release.card import (
    DEFAULT_PRETTY_NAME,
    FIELD_NOTES,
    HUB_DATASETS_URL,
    PAPER_CITATION,
    ReleaseConfig,
    check_repo_id,
)
from medsins.release.manifest import ReleaseManifest
from medsins.release.schema import RECORD_SCHEMA
from medsins.release.shard import Shard, ShardStats
from medsins.taxonomy import TextSource

#: ``conformsTo``: Croissant 1.1 first (the version mlcroissant validates against), then the RAI extension.
CONFORMS_TO = ["http://mlcommons.org/croissant/1.1", "http://mlcommons.org/croissant/RAI/1.0"]

#: The JSON-LD ``@context`` of Croissant 1.1, as ``mlcroissant`` writes it (a reader warns on any other).
CONTEXT: dict[str, object] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

PARQUET = "application/x-parquet"

#: Config kinds that get a record set (see the module docstring for why not ``task``).
RECORD_SET_KINDS = frozenset({"all", "category", "bench", "benchmark"})


def file_set_id(config: str) -> str:
    """The ``@id`` of the FileSet holding the shards of ``config``."""
    return f"parquet-files-for-config-{config}"


def _share(counts: Mapping[str, int]) -> str:
    total = sum(counts.values()) or 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{key} {100 * n / total:.1f}%" for key, n in ranked)


def _fields(record_set: str, config: str) -> list[dict[str, object]]:
    fields = []
    for item in RECORD_SCHEMA:
        field: dict[str, object] = {
            "@type": "cr:Field",
            "@id": f"{record_set}/{item.name}",
            "name": item.name,
            "description": FIELD_NOTES.get(item.name, item.name).replace("`", ""),
            "dataType": "sc:Text",
            "source": {"fileSet": {"@id": file_set_id(config)}, "extract": {"column": item.name}},
        }
        if pa.types.is_list(item.type):  # domains, options: a list of strings per record
            field |= {"isArray": True, "arrayShape": "-1"}
        fields.append(field)
    return fields


def _licenses(stats: ShardStats, sources: Mapping[str, SourceManifest]) -> list[dict[str, object]]:
    """One schema.org CreativeWork per (source, license) with records in the release."""
    out = []
    for source_id in sorted(stats.licenses):
        manifest = sources.get(source_id)
        for license_id, count in sorted(stats.licenses[source_id].items()):
            corpus = manifest.name if manifest else source_id
            note = " (unknown: no license identified)" if license_id == UNKNOWN_LICENSE else ""
            work: dict[str, object] = {
                "@type": "sc:CreativeWork",
                "name": license_id,
                "description": f"License of the {count} record(s) from {corpus} (source {source_id}){note}",
            }
            if manifest and manifest.license_url and license_id == manifest.license:
                work["url"] = str(manifest.license_url)
            out.append(work)
    return out


def _based_on(source_ids: Iterable[str], sources: Mapping[str, SourceManifest]) -> list[dict[str, object]]:
    out = []
    for source_id in source_ids:
        manifest = sources.get(source_id)
        if manifest is None:
            continue
        entry: dict[str, object] = {
            "@type": "sc:Dataset", "name": manifest.name, "url": str(manifest.homepage),
            "citation": manifest.citation,
        }
        if manifest.license_url:
            entry["license"] = str(manifest.license_url)
        out.append(entry)
    return out


def _rai(
    shards: list[Shard], stats: ShardStats, registry: Registry, sources: Mapping[str, SourceManifest],
    manifest: ReleaseManifest,
) -> dict[str, object]:
    """The Responsible-AI fields, from what the release holds."""
    rows_by_task: Counter[str] = Counter()
    for shard in shards:
        rows_by_task[shard.task_id] += shard.rows
    language: Counter[str] = Counter()
    text_source: Counter[str] = Counter()
    for task_id, rows in rows_by_task.items():
        if task_id in registry:
            task = registry.get(task_id)
            language[task.input_languages[0]] += rows
            text_source[task.text_source.value] += rows
    present = [s for s in sorted(stats.licenses) if s in sources]
    clinical = sorted(
        {registry.get(t).source or "" for t in rows_by_task if t in registry
         and registry.get(t).text_source is TextSource.CLINICAL} - {""}
    )
    credentialed = [s for s in present if sources[s].access is AccessLevel.CREDENTIALED]
    unknown = [s for s in sorted(stats.licenses) if UNKNOWN_LICENSE in stats.licenses[s]]
    samples = manifest.options.get("raw") == "bundled samples"

    sensitive = [
        "Health information: the records hold medical questions, case descriptions and clinical text. "
        "Clinical text is as its publishers released it (de-identified, published case reports, or synthetic "
        "patients); medsins adds no identifiers and attempted no re-identification. Users must not attempt it "
        "either (the data use agreements of clinical corpora forbid it).",
    ]
    if clinical:
        sensitive.append("Sources with clinical text in this release: " + ", ".join(clinical) + ".")
    if credentialed:
        sensitive.append(
            "Credentialed corpora in this release (data use agreement required; never redistribute): "
            + ", ".join(credentialed) + "."
        )
    else:
        sensitive.append(
            "No credentialed corpus (MIMIC family, MedNLI: data use agreements) is in this release; "
            "medsins never admits them to a publishable profile."
        )
    if samples:
        sensitive.append("Built from the samples bundled with medsins: those of credentialed sources are synthetic.")

    limitations = [
        f"Built with the `{manifest.profile}` license profile "
        + ("(publishable)." if manifest.publishable else "(NOT publishable: keep private and access-controlled)."),
        f"Holds {len(rows_by_task)} of the {len(registry)} tasks of the registry: a task is present only when "
        "its source was converted and its records passed the license, language and deduplication filters.",
        "Reference outputs are the corpora's gold answers as published (some corpora have machine-generated or "
        "noisy labels); they are not medical advice and the data is not for clinical decision making.",
        "Near-duplicates were removed across tasks and splits (MinHash) and training records overlapping a "
        "test record were dropped; the ledger (ledger.parquet) gives the reason for every removed record.",
    ]
    if manifest.unreadable:
        limitations.append(
            "Incomplete input: parts of the raw files of " + ", ".join(sorted(manifest.unreadable))
            + " could not be read; their items are missing (manifest.json lists them)."
        )
    if unknown:
        limitations.append("No license could be identified for the records of: " + ", ".join(unknown) + ".")

    return {
        "rai:dataCollection": (
            f"Secondary use of {len(stats.licenses)} published corpora. medsins {manifest.medsins_version} "
            "converted each corpus from its native files with a per-source converter into instruction records "
            "(instruction, input, reference output), validated every record against one data model, tagged it "
            "with the MedS-Ins task taxonomy (Wu et al., arXiv 2408.12547), filtered records by license profile "
            "and by declared versus detected language, and removed exact and near duplicates and training "
            "records that overlap test records. No data was collected from people for this release."
        ),
        "rai:dataCollectionType": ["Secondary Data analysis"],
        "rai:dataCollectionRawData": "The corpora listed in isBasedOn, as published at their homepages.",
        "rai:dataPreprocessingProtocol": [
            "Native formats read by shared readers (strict UTF-8, bounded sizes); unreadable spots are listed.",
            "Records validated against the medsins Record model; invalid items are logged, not repaired.",
            "License filter by build profile; language filter (script counts, then lingua on Latin text).",
            "Exact and MinHash near-duplicate removal and decontamination against every test record.",
        ],
        "rai:personalSensitiveInformation": sensitive,
        "rai:dataBiases": [
            f"Languages (input language of each record's task): {_share(language)}.",
            f"Text sources: {_share(text_source)}.",
            "Exam-derived questions reflect the curricula and practice of the countries whose licensing exams "
            "they come from; academic text comes mostly from English-language PubMed literature.",
            "Task definitions and instructions are written mostly in English, whatever the record's language.",
        ],
        "rai:dataLimitations": limitations,
        "rai:dataUseCases": [
            "Instruction tuning of language models for medicine (train split).",
            "Evaluation on MedS-Bench (test split; the bench config).",
            "Not for clinical decision making or patient care.",
        ],
        "rai:dataSocialImpact": (
            "Meant to make medical language models more capable and their evaluation reproducible; a model "
            "tuned on it can still give wrong or harmful medical answers and must not replace a clinician."
        ),
        "rai:dataReleaseMaintenancePlan": (
            "Each release is rebuilt from the sources with medsins; manifest.json records the medsins version, "
            "the options and the checksum of every raw file and release file, so a release can be reproduced."
        ),
    }


def render_croissant(
    configs: list[ReleaseConfig],
    shards: list[Shard],
    stats: ShardStats,
    *,
    registry: Registry,
    sources: Mapping[str, SourceManifest],
    manifest: ReleaseManifest,
    repo_id: str,
    extras: Mapping[str, object] | None = None,
) -> str:
    """``croissant.json`` for the release: JSON-LD text, keys in a fixed order, byte-identical for equal inputs.

    Args:
        configs: the release's configs (:func:`~medsins.release.card.plan_configs`).
        shards: every Parquet shard written (path, rows, size, sha256).
        stats: languages and per-source license counts gathered while sharding.
        registry: task cards (languages and text source of each task, for the bias fields).
        sources: manifests of the sources (names, homepages, license URLs, access levels).
        manifest: the build's provenance (profile, medsins version, unreadable input).
        repo_id: the Hub repository ``ORG/NAME`` the release is published to (the dataset ``url``).
        extras: the card's extras (``pretty_name``, ``description``, ``tags``).
    """
    check_repo_id(repo_id)
    extras = dict(extras or {})
    name = str(extras.get("pretty_name", DEFAULT_PRETTY_NAME))
    everything = configs[0]
    total = sum(everything.num_examples.values())
    description = (
        f"A reproducible build of MedS-Ins (medical instruction tuning) and the MedS-Bench test sets "
        f"(Wu et al., arXiv 2408.12547) made with medsins: {total} records of {len(everything.tasks)} tasks "
        f"from {len(stats.licenses)} corpora."
    )
    if "description" in extras:
        description += " " + str(extras["description"]).strip()
    distribution: list[dict[str, object]] = [
        {
            "@type": "cr:FileObject",
            "@id": shard.path,
            "name": shard.path,
            "contentUrl": shard.path,
            "contentSize": f"{shard.bytes} B",
            "encodingFormat": PARQUET,
            "sha256": shard.sha256,
        }
        for shard in sorted(shards, key=lambda s: s.path)
    ]
    record_sets: list[dict[str, object]] = []
    for config in (c for c in configs if c.kind in RECORD_SET_KINDS):
        includes = list(dict.fromkeys(glob for globs in config.data_files.values() for glob in globs))
        distribution.append({
            "@type": "cr:FileSet",
            "@id": file_set_id(config.name),
            "name": file_set_id(config.name),
            "description": f"Parquet shards of the {config.name} config.",
            "encodingFormat": PARQUET,
            "includes": includes,
        })
        counts = ", ".join(f"{split} {size.num_examples}" for split, size in config.splits.items())
        record_sets.append({
            "@type": "cr:RecordSet",
            "@id": config.name,
            "name": config.name,
            "description": f"The {config.name} config ({config.title}): {counts} records of "
            f"{len(config.tasks)} task(s); the split column tells train from test.",
            "key": {"@id": f"{config.name}/id"},
            "field": _fields(config.name, config.name),
        })
    present = sorted(stats.licenses)
    document: dict[str, object] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": name,
        "description": description,
        "url": f"{HUB_DATASETS_URL}{repo_id}",
        "citeAs": PAPER_CITATION,
        "license": _licenses(stats, sources),
        "isBasedOn": _based_on(present, sources),
        "inLanguage": sorted(stats.languages),
        "keywords": sorted({"medical", "instruction-tuning", "meds-ins", "meds-bench", *extras.get("tags", [])}),
        **_rai(shards, stats, registry, sources, manifest),
        "distribution": distribution,
        "recordSet": record_sets,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def retarget_croissant(croissant_text: str, repo_id: str) -> str:
    """``croissant.json`` text with its dataset ``url`` pointing at the Hub repository ``repo_id``."""
    check_repo_id(repo_id)
    document = json.loads(croissant_text)
    document["url"] = f"{HUB_DATASETS_URL}{repo_id}"
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
