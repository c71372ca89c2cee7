"""Language filter benchmark: accuracy and throughput of the backends on real corpus text.

Builds a six-language labelled set (en, es, fr, ja, ru, zh) deterministically from the
real corpus slices in ``../shared/realdata`` (read in place, never copied): texts whose
language is known from their corpus, in three kinds:

* ``input``   — what a record's input looks like: an MCQA question with its lettered
  options, a passage (PubMedQA context, RuMedDaNet context + question, a CMeEE sentence,
  a patient message);
* ``question``— a bare question / sentence (shorter);
* ``short``   — options, yes/no labels, entity names: the texts that must fall back;
* ``list``    — NER outputs (entities one a line, the release's convention), checked leniently.

plus language-neutral strings (doses, codes, formulas, gene names) that must be kept
under every declared language.

It then measures, for ``langdetect`` on everything (the naive baseline: every text,
full length, all 55 profiles) and for :class:`LanguageFilter` with each backend:

* identification accuracy (detected == corpus language);
* filter decisions: every text checked against its own language (must keep) and against
  each of the five other languages (must drop when the text is an ``input`` or
  ``question``; short texts may fall back);
* throughput in texts per second (best of ``--repeat`` runs, detectors warmed up);
* a threshold sweep (min words × ceiling on the declared language's confidence) for the
  Latin-script statistical stage.

Run: ``/tmp/venv/bin/python benchmarks/bench_language.py [--realdata DIR] [--repeat 3]``.
Set ``RAYON_NUM_THREADS=1`` to hold lingua to one core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from medsins.stages.language import LanguageFilter, Thresholds

SIX = ("en", "es", "fr", "ja", "ru", "zh")
LATIN = ("en", "es", "fr")
#: Kinds whose language must be caught when mis-declared (the others may fall back).
LONG = ("input", "question")
REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
#: Per language and kind, so that no corpus or language dominates.
CAP = {"input": 100, "question": 100, "short": 150, "list": 100}

#: Strings without language: must never cause a drop, whatever the declared language.
NEUTRAL = (
    "Acetaminophen 500 mg",
    "ICD-10 E11.9",
    "C12H22O11",
    "BRCA1",
    "B. Aspirin",
    "Yes",
    "No",
    "A.",
    "IL-6, TNF-α",
    "HbA1c 7.2%",
    "SpO2 94%",
    "BP 140/90 mmHg",
    "Metformin 850 mg bid",
    "E11",
    "J06.9",
    "None",
    "EGFR\nKRAS\nALK",
    "amoxicillin\nclavulanic acid",
    "NaCl 0.9%",
    "COVID-19",
    "10 mg/kg",
    "CYP2D6*4",
    "q8h",
    "T2DM",
)


@dataclass(frozen=True)
class Sample:
    """A text whose language is known from its corpus."""

    lang: str
    kind: str
    source: str
    text: str


#: Short texts written for this benchmark: drug, organism and gene names in a few words, in
#: their language. Checked against their own language they must be kept.
HANDWRITTEN = (
    ("en", "Acetaminophen 500 mg every 6 hours"),
    ("en", "Take metformin with meals"),
    ("en", "Lisinopril and hydrochlorothiazide combination"),
    ("en", "Amoxicillin clavulanate potassium tablets"),
    ("en", "Sodium chloride 0.9% intravenous infusion"),
    ("en", "Atorvastatin calcium 20 mg daily"),
    ("en", "BRCA1 and BRCA2 mutation carriers"),
    ("en", "Glucose-6-phosphate dehydrogenase deficiency"),
    ("en", "Methicillin-resistant Staphylococcus aureus infection"),
    ("en", "Escherichia coli urinary tract infection"),
    ("en", "Acetylsalicylic acid plus clopidogrel"),
    ("en", "Levothyroxine sodium before breakfast"),
    ("en", "Ceftriaxone 1 g IV once daily"),
    ("en", "Metoprolol succinate extended release tablets"),
    ("en", "Omeprazole magnesium delayed release capsules"),
    ("en", "Insulin glargine at bedtime"),
    ("en", "Pseudomonas aeruginosa ventilator-associated pneumonia"),
    ("en", "Tumor necrosis factor alpha inhibitors"),
    ("en", "Hydroxychloroquine sulfate for lupus erythematosus"),
    ("en", "Sucrose (C12H22O11) is a disaccharide"),
    ("en", "Clopidogrel bisulfate 75 mg tablets"),
    ("en", "Piperacillin tazobactam for febrile neutropenia"),
    ("en", "Trimethoprim sulfamethoxazole double strength"),
    ("en", "Enoxaparin sodium subcutaneous injection"),
    ("en", "Mycobacterium tuberculosis complex detected"),
    ("en", "Candida albicans oral thrush"),
    ("en", "Ondansetron hydrochloride orally disintegrating tablets"),
    ("en", "Vancomycin trough level monitoring"),
    ("en", "Dexamethasone sodium phosphate injection"),
    ("en", "Klebsiella pneumoniae carbapenemase producer"),
    ("en", "Azithromycin dihydrate oral suspension"),
    ("en", "Naloxone hydrochloride nasal spray"),
    ("en", "Propofol infusion syndrome"),
    ("en", "Furosemide and spironolactone"),
    ("en", "Heparin-induced thrombocytopenia type II"),
    ("es", "Paracetamol 500 mg cada 8 horas"),
    ("es", "Amoxicilina con ácido clavulánico"),
    ("es", "Infección por Staphylococcus aureus resistente a meticilina"),
    ("es", "Omeprazol 20 mg en ayunas"),
    ("es", "Ibuprofeno 400 mg cada 8 horas"),
    ("es", "Enoxaparina sódica subcutánea"),
    ("es", "Neumonía por Klebsiella pneumoniae"),
    ("es", "Clopidogrel y ácido acetilsalicílico"),
    ("fr", "Paracétamol 1 g toutes les 6 heures"),
    ("fr", "Amoxicilline et acide clavulanique"),
    ("fr", "Infection à Staphylococcus aureus résistant à la méticilline"),
    ("fr", "Insuline glargine au coucher"),
    ("fr", "Ibuprofène 400 mg trois fois par jour"),
    ("fr", "Énoxaparine sodique sous-cutanée"),
    ("fr", "Pneumonie à Klebsiella pneumoniae"),
    ("fr", "Clopidogrel et acide acétylsalicylique"),
)


def _options(options: Sequence[str]) -> str:
    return "\n".join(f"{chr(65 + i)}. {option}" for i, option in enumerate(options))


def _mcqa(lang: str, source: str, question: str, options: Sequence[str]) -> Iterator[Sample]:
    yield Sample(lang, "input", source, f"{question}\n{_options(options)}")
    yield Sample(lang, "question", source, question)
    for option in options:
        yield Sample(lang, "short", source, option)


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _headqa(path: Path, lang: str) -> Iterator[Sample]:
    exams = json.loads(path.read_text(encoding="utf-8"))["exams"]
    for name in sorted(exams):
        for item in exams[name]["data"]:
            yield from _mcqa(lang, f"headqa_{lang}", item["qtext"], [a["atext"] for a in item["answers"]])


def _pubtator(path: Path) -> Iterator[Sample]:
    """English abstracts and their entity lists (mentions in order, unique)."""
    mentions: list[str] = []
    abstract = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        fields = line.split("\t")
        if "|a|" in line[:20]:
            abstract = line.split("|a|", 1)[1]
        elif len(fields) >= 5:
            mentions.append(fields[3])
        elif not line.strip() and abstract:
            yield Sample("en", "input", "bc5cdr", abstract)
            yield Sample("en", "list", "bc5cdr", "\n".join(dict.fromkeys(mentions)))
            mentions, abstract = [], ""


def _corpus(root: Path) -> Iterator[Sample]:
    """Every labelled text of the realdata slices, in a fixed order."""
    for item in _jsonl(root / "medqa" / "test.jsonl"):
        yield from _mcqa("en", "medqa", item["question"], list(item["options"].values()))
    yield from _headqa(root / "headqa" / "dev_HEAD_EN.json", "en")
    yield from _headqa(root / "headqa" / "dev_HEAD.json", "es")
    for path in sorted((root / "igakuqa").glob("*_translate.jsonl")):
        for item in _jsonl(path):
            yield from _mcqa("en", "igakuqa_en", item["problem_text_en"], item["choices_en"])
    pubmedqa = json.loads((root / "pubmedqa" / "ori_pqal.json").read_text(encoding="utf-8"))
    for pmid in sorted(pubmedqa):
        item = pubmedqa[pmid]
        yield Sample("en", "input", "pubmedqa", f"{item['QUESTION']}\n" + " ".join(item["CONTEXTS"]))
        yield Sample("en", "question", "pubmedqa", item["QUESTION"])
        yield Sample("en", "short", "pubmedqa", item["final_decision"])
    for item in json.loads((root / "chatdoctor" / "chatdoctor5k.json").read_text(encoding="utf-8")):
        yield Sample("en", "input", "chatdoctor", item["input"])
        yield Sample("en", "input", "chatdoctor", item["output"])
    for name in ("train.json", "dev.json"):
        for item in json.loads((root / "frenchmedmcqa" / name).read_text(encoding="utf-8")):
            options = [item["answers"][key] for key in sorted(item["answers"])]
            yield from _mcqa("fr", "frenchmedmcqa", item["question"], options)
    for path in sorted((root / "igakuqa").glob("116-?.jsonl")):
        for item in _jsonl(path):
            yield from _mcqa("ja", "igakuqa", item["problem_text"], item["choices"])
    for item in json.loads((root / "cmeee" / "CMeEE-V2_dev.json").read_text(encoding="utf-8")):
        yield Sample("zh", "input", "cmeee", item["text"])
        entities = list(dict.fromkeys(e["entity"] for e in item["entities"]))
        yield Sample("zh", "list", "cmeee", "\n".join(entities))
        for entity in entities[:2]:
            yield Sample("zh", "short", "cmeee", entity)
    yield from _pubtator(root / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")
    for lang, text in HANDWRITTEN:
        yield Sample(lang, "short", "handwritten", text)
    for item in _jsonl(root / "rumedbench" / "RuMedDaNet_dev_v1.jsonl"):
        yield Sample("ru", "input", "rumeddanet", f"{item['context']}\n{item['question']}")
        yield Sample("ru", "question", "rumeddanet", item["question"])
        yield Sample("ru", "short", "rumeddanet", item["answer"])
    for item in _jsonl(root / "rumedbench" / "RuMedTop3_dev_v1.jsonl"):
        yield Sample("ru", "input", "rumedtop3", item["symptoms"])
    for item in _jsonl(root / "rumedbench" / "RuMedNER_dev_v1.jsonl"):
        yield Sample("ru", "question", "rumedner", " ".join(item["tokens"]))


def labelled_set(root: Path) -> list[Sample]:
    """The labelled set: per (language, kind) up to CAP texts, taken round-robin over corpora."""
    pools: dict[tuple[str, str], dict[str, list[Sample]]] = defaultdict(lambda: defaultdict(list))
    seen: set[tuple[str, str]] = set()
    for sample in _corpus(root):
        text = sample.text.strip()
        if not text or (sample.lang, text) in seen:
            continue
        seen.add((sample.lang, text))
        pools[sample.lang, sample.kind][sample.source].append(replace(sample, text=text))
    chosen: list[Sample] = []
    for (_lang, kind), by_source in sorted(pools.items()):
        queues = [list(reversed(by_source[source])) for source in sorted(by_source)]
        taken = 0
        while taken < CAP[kind] and any(queues):
            for queue in queues:
                if queue and taken < CAP[kind]:
                    chosen.append(queue.pop())
                    taken += 1
    return chosen


class MemoFilter(LanguageFilter):
    """A LanguageFilter whose detector results are memoised: for the threshold sweep only."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.memo: dict[tuple[str, str | None], dict[str, float]] = {}

    @property
    def detector(self):
        memo, inner = self.memo, super().detector

        class Memo:
            def scores(self, texts, declared):
                keys = list(zip(texts, declared or [None] * len(texts), strict=True))
                missing = [key for key in dict.fromkeys(keys) if key not in memo]
                if missing:
                    found = inner.scores([t for t, _ in missing], [d for _, d in missing])
                    memo.update(zip(missing, found, strict=True))
                return [memo[key] for key in keys]

        return Memo()


def decisions(filt: LanguageFilter, samples: Sequence[Sample], languages: Sequence[str] = SIX) -> dict:
    """Keep/drop accuracy of a filter over matched and mismatched declarations."""
    texts, declared, expect, kinds = [], [], [], []
    for sample in samples:
        for lang in languages:
            texts.append(sample.text)
            declared.append(lang)
            expect.append("keep" if lang == sample.lang else "drop")
            kinds.append(sample.kind)
    verdicts = filt.check(texts, [""] * len(texts), declared, declared)
    got = ["keep" if v is None else "drop" for v in verdicts]
    matched = [g for g, e in zip(got, expect, strict=True) if e == "keep"]
    long_mis = [g for g, e, k in zip(got, expect, kinds, strict=True) if e == "drop" and k in LONG]
    short_mis = [g for g, e, k in zip(got, expect, kinds, strict=True) if e == "drop" and k not in LONG]
    scored = matched + long_mis
    correct = matched.count("keep") + long_mis.count("drop")
    return {
        "false_drops": matched.count("drop"),
        "matched": len(matched),
        "caught": long_mis.count("drop"),
        "long": len(long_mis),
        "short_caught": short_mis.count("drop"),
        "short": len(short_mis),
        "accuracy": correct / len(scored),
    }


def neutral_drops(filt: LanguageFilter) -> int:
    """Drops among the language-neutral strings declared in each of the six languages."""
    texts = [text for text in NEUTRAL for _ in SIX]
    langs = [lang for _ in NEUTRAL for lang in SIX]
    return sum(v is not None for v in filt.check(texts, [""] * len(texts), langs, langs))


def identification(results: Sequence[tuple[str, float] | None], samples: Sequence[Sample]) -> dict:
    """Share of texts whose detected language is the corpus language, overall and per kind/lang."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for result, sample in zip(results, samples, strict=True):
        ok = result is not None and result[0] == sample.lang
        hits["all"].append(ok)
        hits[sample.kind].append(ok)
        hits[sample.lang].append(ok)
    return {key: sum(values) / len(values) for key, values in hits.items()}


class Baseline:
    """langdetect on everything: every text, full length, all 55 profiles, seeded."""

    def __init__(self) -> None:
        import langdetect
        from langdetect.detector_factory import DetectorFactory

        self.factory = DetectorFactory()
        self.factory.load_profile(str(Path(langdetect.__file__).parent / "profiles"))
        self.factory.seed = 0

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float] | None]:
        from langdetect.lang_detect_exception import LangDetectException

        out: list[tuple[str, float] | None] = []
        for text in texts:
            detector = self.factory.create()
            detector.append(text)
            try:
                best = detector.get_probabilities()[0]
            except LangDetectException:
                out.append(None)
                continue
            out.append((best.lang.split("-")[0], best.prob))  # zh-cn, zh-tw → zh
        return out


def measure(fn) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of the process) of one run of ``fn``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def throughput(jobs: dict[str, object], n: int, repeat: int) -> dict[str, tuple[float, float]]:
    """Texts per wall-clock second and per CPU second of each job, best of ``repeat`` rounds.

    The jobs run interleaved, round after round, so that load from other processes on the
    machine hits all of them alike; each job runs once first as a warm-up.
    """
    for fn in jobs.values():
        fn()
    best: dict[str, list[float]] = {name: [float("inf"), float("inf")] for name in jobs}
    for _ in range(repeat):
        for name, fn in jobs.items():
            wall, cpu = measure(fn)
            best[name][0] = min(best[name][0], wall)
            best[name][1] = min(best[name][1], cpu)
    return {name: (n / wall, n / cpu) for name, (wall, cpu) in best.items()}


def sweep_statistics(samples: Sequence[Sample]) -> None:
    """min words × (min best confidence, max declared confidence), per backend."""
    print("\n## Sweep: Latin-script statistical stage\n")
    print("Whole labelled set, six languages. Cells: decisions accuracy / false drops (of the")
    print("matched trials) / neutral-string drops. Script thresholds at their defaults.\n")
    pairs = [(top, ceiling) for top in (0.0, 0.7, 0.8, 0.9) for ceiling in (0.05, 0.1, 0.2)]
    for backend in ("lingua", "langdetect"):
        print(f"### {backend}\n")
        print("| min words | " + " | ".join(f"best ≥ {t}, declared ≤ {c}" for t, c in pairs) + " |")
        print("|---:|" + "---|" * len(pairs))
        memo = MemoFilter(backend)
        for min_words in (3, 4, 5, 6, 8):
            cells = []
            for top, ceiling in pairs:
                memo.thresholds = Thresholds(min_words=min_words, min_confidence=top, max_declared_confidence=ceiling)
                dec = decisions(memo, samples)
                cells.append(f"{dec['accuracy']:.4f} / {dec['false_drops']} / {neutral_drops(memo)}")
            print(f"| {min_words} | " + " | ".join(cells) + " |")
        print()


def sweep_function_words(samples: Sequence[Sample], repeat: int) -> None:
    """How many texts the function-word check confirms, what it costs in misses and time."""
    print("\n## Sweep: function-word confirmation (lingua)\n")
    print("| min function words | detector calls (matched) | decisions acc. | caught | texts/s (CPU) |")
    print("|---|---:|---:|---:|---:|")
    texts = [s.text for s in samples]
    langs = [s.lang for s in samples]
    for value in (1, 2, 3, 4, 10**6):
        filt = LanguageFilter("lingua", thresholds=Thresholds(min_function_words=value))
        calls = sum(
            1
            for text, lang in zip(texts, langs, strict=True)
            if lang in LATIN and (read := filt._prose_words(text)) is not None
            and not filt._confirmed(filt._function_word_hits(read[0]), lang)
        )
        dec = decisions(filt, samples)
        rate = throughput({"f": lambda f=filt: f.check(texts, [""] * len(texts), langs, langs)}, len(texts), repeat)
        label = "off" if value == 10**6 else str(value)
        print(f"| {label} | {calls} | {dec['accuracy']:.4f} | {dec['caught']}/{dec['long']} | {rate['f'][1]:,.0f} |")


def sweep_script_letters(samples: Sequence[Sample]) -> None:
    """The minimum of (weighted) letters for a script verdict."""
    print("\n## Sweep: minimum letters for a script verdict (lingua)\n")
    print("| min script letters | decisions acc. | false drops | caught | short texts caught | neutral drops |")
    print("|---:|---:|---:|---:|---:|---:|")
    for value in (4, 8, 10, 12, 16, 24):
        filt = LanguageFilter("lingua", thresholds=Thresholds(min_script_letters=value))
        dec = decisions(filt, samples)
        print(
            f"| {value} | {dec['accuracy']:.4f} | {dec['false_drops']}/{dec['matched']} | "
            f"{dec['caught']}/{dec['long']} | {dec['short_caught']}/{dec['short']} | {neutral_drops(filt)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--repeat", type=int, default=5, help="timing rounds (best is kept)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the threshold sweeps")
    args = parser.parse_args()

    samples = labelled_set(args.realdata)
    texts = [s.text for s in samples]
    langs = [s.lang for s in samples]
    kinds = ("input", "question", "short", "list")
    counts = Counter((s.lang, s.kind) for s in samples)
    print(
        f"# Language filter benchmark ({time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'unset')})\n"
    )
    print(
        f"Labelled set: {len(samples)} texts, {sum(len(t) for t in texts):,} characters, "
        f"median {statistics.median(len(t) for t in texts):.0f} characters\n"
    )
    print("| lang | " + " | ".join(kinds) + " |\n|---|" + "---:|" * len(kinds))
    for lang in SIX:
        print(f"| {lang} | " + " | ".join(str(counts[lang, kind]) for kind in kinds) + " |")

    baseline = Baseline()
    filters = {backend: LanguageFilter(backend) for backend in ("lingua", "langdetect")}
    # One sentence per Latin language, declared English: both lingua passes run, so every
    # language model the filter uses is loaded (lingua keeps loaded models for the process).
    warmup = [s.text for lang in LATIN for s in samples if s.lang == lang and s.kind == "input"][::40]
    warmup += ["Der Patient hat Fieber und Husten.", "Patienten har feber och hosta.", "El pacient té febre i tos."]
    load = {}
    for backend, filt in filters.items():
        load[backend] = measure(lambda filt=filt: filt.detector.scores(warmup, ["en"] * len(warmup)))[0]
    jobs = {"baseline": lambda: baseline.detect(texts)}
    for backend, filt in filters.items():
        jobs[backend] = lambda filt=filt: filt.check(texts, [""] * len(texts), langs, langs)
    rates = throughput(jobs, len(texts), args.repeat)
    base_wall, base_cpu = rates["baseline"]

    print("\n## Accuracy and throughput\n")
    print(
        "| method | decisions acc. | false drops | caught | neutral drops | identification | "
        "texts/s (wall) | × baseline | texts/CPU-s | × baseline |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    idents = {"langdetect on everything": identification(baseline.detect(texts), samples)}
    print(
        f"| langdetect on everything (55 profiles, full text) | – | – | – | – | "
        f"{idents['langdetect on everything']['all']:.3f} | {base_wall:,.0f} | 1.0 | {base_cpu:,.0f} | 1.0 |"
    )
    for backend, filt in filters.items():
        idents[f"LanguageFilter({backend!r})"] = ident = identification(filt.detect(texts), samples)
        dec = decisions(filt, samples)
        wall, cpu = rates[backend]
        print(
            f"| LanguageFilter({backend!r}) | {dec['accuracy']:.4f} | "
            f"{dec['false_drops']}/{dec['matched']} | {dec['caught']}/{dec['long']} | "
            f"{neutral_drops(filt)}/{len(NEUTRAL) * len(SIX)} | "
            f"{ident['all']:.3f} | {wall:,.0f} | {wall / base_wall:.1f} | {cpu:,.0f} | {cpu / base_cpu:.1f} |"
        )
    print(
        f"\nDetector and language-model load (once per process): lingua {load['lingua']:.2f} s, "
        f"langdetect {load['langdetect']:.2f} s; not counted above."
    )

    print("\n## Identification accuracy (best guess, no thresholds, no fallback)\n")
    columns = (*kinds, *SIX)
    print("| method | " + " | ".join(columns) + " |\n|---|" + "---:|" * len(columns))
    for name, ident in idents.items():
        print(f"| {name} | " + " | ".join(f"{ident.get(c, float('nan')):.3f}" for c in columns) + " |")

    if not args.no_sweep:
        sweep_statistics(samples)
        sweep_function_words(samples, args.repeat)
        sweep_script_letters(samples)


if __name__ == "__main__":
    main()
