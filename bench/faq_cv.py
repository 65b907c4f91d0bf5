"""Choose the FAQ classifier's settings by cross-validation on the tunable questions only.

Run: .venv/bin/python -m bench.faq_cv [--folds 5] [--c 10] [--tol 0.001]

The labelled questions in ``tests/data/faq_real.tsv`` (tune and spent splits) and
``tests/data/faq_eval.tsv`` are split into folds; for each fold the classifier trains on the
knowledge base's phrasings, the written paraphrases and off-topic questions of
``bot/data/faq_train.tsv`` and the other folds, and is asked about the held-out fold. It prints
in-scope right and out-of-scope declined for a grid of gates (minimum probability of the top
entry, minimum lead over the runner-up), plus the training time, so the values written into
``bot/data/faq.json`` are chosen on questions the classifier did not see. The fresh held-apart
set (``tests/data/faq_fresh.tsv``) is never read here.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from importlib import resources
from pathlib import Path
from typing import Any, cast

from bot.faq import FaqIndex, read_examples

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PROBS = (0.2, 0.3, 0.4, 0.5, 0.6)
MARGINS = (0.0, 0.1, 0.2, 0.3)


def labelled() -> list[tuple[str, str]]:
    """Return the tunable labelled questions (never the fresh held-apart set)."""
    rows = read_examples((DATA / "faq_real.tsv").read_text(encoding="utf-8"))
    rows += read_examples((DATA / "faq_eval.tsv").read_text(encoding="utf-8"))
    return rows


def written(labelled_rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the training rows that are not copies of labelled questions."""
    text = resources.files("bot").joinpath("data/faq_train.tsv").read_text(encoding="utf-8")
    copies = {q for q, _ in labelled_rows}
    return [(q, label) for q, label in read_examples(text) if q not in copies]


def main() -> None:
    """Print the cross-validated figures for every gate in the grid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=None, help="override classifier C")
    parser.add_argument("--tol", type=float, default=None, help="override solver tolerance")
    args = parser.parse_args()

    raw = resources.files("bot").joinpath("data/faq.json").read_text(encoding="utf-8")
    data = cast(dict[str, Any], json.loads(raw))
    if args.c is not None:
        data["classifier"]["C"] = args.c
    if args.tol is not None:
        data["classifier"]["tol"] = args.tol
    rows = labelled()
    base = written(rows)
    order = list(range(len(rows)))
    random.Random(13).shuffle(order)
    folds = [order[i :: args.folds] for i in range(args.folds)]
    ranked: list[tuple[str, list[tuple[str, float]]]] = []
    train_s: list[float] = []
    for held in folds:
        held_set = set(held)
        train = base + [rows[i] for i in order if i not in held_set]
        start = time.perf_counter()
        index = FaqIndex(data, train)
        train_s.append(time.perf_counter() - start)
        for i in held:
            question, expected = rows[i]
            ranked.append((expected, index.scores(question)))
    n_in = sum(expected != "none" for expected, _ in ranked)
    n_out = len(ranked) - n_in
    print(
        f"{len(rows)} labelled questions, {args.folds} folds, {len(base)} written rows; "
        f"training {min(train_s):.2f}-{max(train_s):.2f} s"
    )
    print(f"{'min_prob':>9}{'min_margin':>11}{'in-scope right':>17}{'declined':>11}")
    for min_prob in PROBS:
        for min_margin in MARGINS:
            right_in = right_out = 0
            for expected, scores in ranked:
                got = None
                if scores and scores[0][0] != "none":
                    (best, p_best), (_, p_next) = scores[0], scores[1]
                    if p_best >= min_prob and p_best - p_next >= min_margin:
                        got = best
                if expected == "none":
                    right_out += got is None
                else:
                    right_in += got == expected
            print(
                f"{min_prob:>9.2f}{min_margin:>11.2f}"
                f"{right_in / n_in:>17.1%}{right_out / n_out:>11.1%}"
            )


if __name__ == "__main__":
    main()
