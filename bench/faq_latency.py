"""Latency benchmark for the FAQ engine against a naive fuzzy-matching baseline.

Run: .venv/bin/python bench/faq_latency.py [--repeat N]

Times ``FaqIndex.answer`` over every question of the labelled evaluation set, many times, and
prints p50/p95/p99 in milliseconds. In the same run it times a naive baseline, rapidfuzz
``process.extractOne`` over every phrasing in the knowledge base with no index or gating, and
prints both accuracies so the speed is read next to the quality. The target is p99 < 5 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.faq import FaqIndex

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "faq_eval.tsv"


def load_eval() -> list[tuple[str, str]]:
    """Return (question, expected id or 'none') pairs from the evaluation set."""
    rows: list[tuple[str, str]] = []
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            question, expected = line.split("\t")
            rows.append((question, expected))
    return rows


def naive_baseline(cutoff: float) -> Callable[[str], str | None]:
    """Return a matcher that fuzzy-compares a question with every phrasing, no index."""
    raw = resources.files("bot").joinpath("data/faq.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    choices: list[str] = []
    owners: list[str] = []
    for entry in data["entries"]:
        for phrasing in [entry["question"], *entry["phrasings"]]:
            choices.append(phrasing)
            owners.append(entry["id"])

    def match(question: str) -> str | None:
        found = process.extractOne(
            question,
            choices,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=cutoff,
        )
        return None if found is None else owners[found[2]]

    return match


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """Return p50, p95 and p99 of ``samples`` (seconds) in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1e3, cuts[94] * 1e3, cuts[98] * 1e3


def time_calls(func: Callable[[str], object], questions: list[str], repeat: int) -> list[float]:
    """Time each call of ``func`` on every question, ``repeat`` rounds."""
    samples: list[float] = []
    clock = time.perf_counter
    for _ in range(repeat):
        for question in questions:
            start = clock()
            func(question)
            samples.append(clock() - start)
    return samples


def accuracy(func: Callable[[str], str | None], rows: list[tuple[str, str]]) -> tuple[float, float]:
    """Return (in-scope right, out-of-scope declined) shares for a matcher."""
    in_rows = [(q, e) for q, e in rows if e != "none"]
    out_rows = [q for q, e in rows if e == "none"]
    right_in = sum(func(q) == e for q, e in in_rows) / len(in_rows)
    right_out = sum(func(q) is None for q in out_rows) / len(out_rows)
    return right_in, right_out


def main() -> None:
    """Run the benchmark and print a small table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="rounds over the eval set")
    parser.add_argument("--baseline-cutoff", type=float, default=80.0, help="WRatio cutoff")
    args = parser.parse_args()

    start = time.perf_counter()
    index = FaqIndex.load()
    load_ms = (time.perf_counter() - start) * 1e3
    rows = load_eval()
    questions = [q for q, _ in rows]
    baseline = naive_baseline(args.baseline_cutoff)

    def engine(question: str) -> str | None:
        entry = index.answer(question)
        return None if entry is None else entry.id

    for question in questions:  # warm caches (stemmer, regexes) before timing
        engine(question)
        baseline(question)

    print(f"index load: {load_ms:.1f} ms; {len(questions)} questions x {args.repeat} rounds")
    print(f"{'matcher':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'in-scope':>10}{'declined':>10}")
    for name, func in (
        ("FaqIndex.answer (classifier)", engine),
        (f"naive extractOne WRatio>={args.baseline_cutoff:g}", baseline),
    ):
        p50, p95, p99 = percentiles(time_calls(func, questions, args.repeat))
        right_in, right_out = accuracy(func, rows)
        print(f"{name:<34}{p50:>9.3f}{p95:>9.3f}{p99:>9.3f}{right_in:>10.1%}{right_out:>10.1%}")


if __name__ == "__main__":
    main()
