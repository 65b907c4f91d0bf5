"""How well the FAQ answers questions it was never tuned on, and how fast.

Run: .venv/bin/python -m bench.faq_eval [--split fresh8|tune|all] [--repeat N] [--show] [--agreed]

``fresh8`` (the default) is ``tests/data/faq_fresh8.tsv``, the newest held-apart set of real
questions, collected apart from the classifier's work and never tuned on; when the file is not there
the run stops and says so. ``tune`` is every tunable labelled question (``tests/data/faq_real.tsv``,
whose header tells the earlier sets apart, ``tests/data/faq_eval.tsv``,
``tests/data/faq_fresh.tsv``, spent after round two, ``tests/data/faq_fresh2.tsv``, spent after
round three, ``tests/data/faq_fresh3.tsv``, spent after round four, ``tests/data/faq_fresh4.tsv``,
spent after round five, ``tests/data/faq_fresh5.tsv``, spent after round six,
``tests/data/faq_fresh6.tsv``, spent after round seven, and ``tests/data/faq_fresh7.tsv``, spent
after round eight), all of which the classifier trains on;
``all`` is both. It prints, for the split: in-scope questions answered with the right entry,
out-of-scope questions declined, and p50/p99 latency of ``FaqIndex.answer``. In the same run it
prints the same figures for a naive baseline (rapidfuzz ``extractOne`` over every phrasing in the
knowledge base). Targets: >= 95 % / >= 95 % on the fresh8 split, p99 < 5 ms. ``--show`` lists
every miss, for working on the tune split. ``--agreed`` leaves out the rows whose source ends in
"(readers differ: ...)": a second reader, labelling blind, chose otherwise there.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench.faq_latency import naive_baseline
from bot.faq import FaqIndex, read_examples

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
READERS_DIFFER = "(readers differ:"
"""Ends the source of a row that the set's second, blind reader labelled otherwise."""
JUDGING = "fresh8"
"""The newest held-apart set: a new one replaces it here once it has been measured."""
FILES = {
    JUDGING: (f"faq_{JUDGING}.tsv",),
    "tune": (
        "faq_real.tsv",
        "faq_eval.tsv",
        "faq_fresh.tsv",
        "faq_fresh2.tsv",
        "faq_fresh3.tsv",
        "faq_fresh4.tsv",
        "faq_fresh5.tsv",
        "faq_fresh6.tsv",
        "faq_fresh7.tsv",
    ),
}


def split_files(split: str) -> tuple[str, ...]:
    """Return the data files of one split ("all" is every split)."""
    return FILES[split] if split in FILES else (*FILES[JUDGING], *FILES["tune"])


def load_rows(split: str, agreed: bool = False) -> list[tuple[str, str]]:
    """Return (question, expected id or 'none') for one split, or for all rows.

    ``agreed`` leaves out the rows a second, blind reader labelled otherwise: those are the
    questions whose right answer is itself in doubt.
    """
    rows: list[tuple[str, str]] = []
    for name in split_files(split):
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not (agreed and READERS_DIFFER in line)]
        rows += read_examples("\n".join(kept))
    return rows


def score(
    func: Callable[[str], str | None], rows: list[tuple[str, str]]
) -> tuple[int, int, int, int, list[str]]:
    """Return right in-scope, in-scope count, declined, out-of-scope count and the misses."""
    right_in = n_in = right_out = n_out = 0
    misses: list[str] = []
    for question, expected in rows:
        got = func(question)
        if expected == "none":
            n_out += 1
            right_out += got is None
        else:
            n_in += 1
            right_in += got == expected
        if got != (None if expected == "none" else expected):
            misses.append(f"  {question!r}: expected {expected}, got {got}")
    return right_in, n_in, right_out, n_out, misses


def latency(
    func: Callable[[str], object], questions: list[str], repeat: int
) -> tuple[float, float]:
    """Return p50 and p99 of one call, in milliseconds."""
    samples: list[float] = []
    for _ in range(repeat):
        for question in questions:
            start = time.perf_counter()
            func(question)
            samples.append(time.perf_counter() - start)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1e3, cuts[98] * 1e3


def main() -> None:
    """Print the table for the chosen split."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(JUDGING, "tune", "all"), default=JUDGING)
    parser.add_argument("--repeat", type=int, default=20, help="timing rounds over the split")
    parser.add_argument("--show", action="store_true", help="list every miss")
    parser.add_argument(
        "--agreed", action="store_true", help="only rows both readers labelled alike"
    )
    args = parser.parse_args()

    missing = [name for name in split_files(args.split) if not (DATA / name).is_file()]
    if missing:
        parser.error(
            f"tests/data/{missing[0]} is not in this checkout: the held-apart judging set is "
            "collected apart from the classifier and added by the integrator; "
            "use --split tune meanwhile"
        )
    index = FaqIndex.load()
    rows = load_rows(args.split, args.agreed)
    questions = [q for q, _ in rows]

    def engine(question: str) -> str | None:
        entry = index.answer(question)
        return None if entry is None else entry.id

    baseline = naive_baseline(80.0)
    for question in questions:  # warm caches before timing
        engine(question)
        baseline(question)
    names = ", ".join(split_files(args.split))
    print(f"split {args.split}: {len(rows)} questions ({names}), x{args.repeat} for timing")
    print(f"{'matcher':<32}{'in-scope right':>18}{'declined':>16}{'p50 ms':>9}{'p99 ms':>9}")
    for name, func in (("FaqIndex.answer", engine), ("naive extractOne WRatio>=80", baseline)):
        right_in, n_in, right_out, n_out, misses = score(func, rows)
        p50, p99 = latency(func, questions, args.repeat)
        print(
            f"{name:<32}{f'{right_in}/{n_in} {right_in / n_in:.1%}':>18}"
            f"{f'{right_out}/{n_out} {right_out / n_out:.1%}':>16}{p50:>9.3f}{p99:>9.3f}"
        )
        if args.show and func is engine:
            print("\n".join(misses))


if __name__ == "__main__":
    main()
