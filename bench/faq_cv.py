"""Choose the FAQ classifier's settings by grouped cross-validation on the tunable questions.

Run: .venv/bin/python -m bench.faq_cv [--folds 5] [--holdout fresh|fresh2|...|fresh7|every]
     [--set key=value ...] [--show]

Every tunable labelled question (``tests/data/faq_real.tsv``, ``faq_eval.tsv``, ``faq_fresh.tsv``
and ``faq_fresh2.tsv`` to ``faq_fresh7.tsv``) is put in a group: questions from one page share a
group, and so do questions that are near copies of each other (paraphrases of one question), so a
fold never holds a question whose twin the classifier trained on. For each fold the classifier
trains on the knowledge base's phrasings, the written rows of ``bot/data/faq_train.tsv`` and the
other folds, and is asked about the held-out fold. Written rows that are near copies of a held-out
question are left out of that fold's training too, so writing a paraphrase of a labelled question
does not inflate the figure. ``--holdout fresh7`` instead holds out the newest real tunable set
(``faq_fresh7.tsv``) whole, the way a new judging set is measured (``--holdout fresh6``, ``fresh5``
and so on the ones before it); its copies in the training rows are left out with it
(``--holdout every`` holds out each real set in turn and prints the grid with every set's figures
side by side and the worst decline rate among them, since a setting is worth changing only when it
holds on all of them). It prints in-scope right and out-of-scope declined for a grid of gates
(``bot.faq.Gate``: the most "none" may have, the least the top entry must have, its lead over the
next entry; the "surely in scope" branch, ``sure_none`` and ``sure_prob``, stays as set) and the
training time; ``--set C=5`` and the like override the ``classifier`` settings of
``bot/data/faq.json`` to compare models in one command (``--set sure_none=0`` turns that branch
off).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from importlib import resources
from typing import Any, cast

from sklearn.feature_extraction.text import TfidfVectorizer

from bench.faq_eval import DATA, FILES
from bot.faq import FaqIndex, Gate, gate_of, read_examples

SETS = FILES["tune"]
HOLDOUTS = tuple(name[4:-4] for name in SETS if name.startswith("faq_fresh"))
"""The real sets that can be held out whole: ``faq_fresh.tsv`` is ``fresh``, and so on."""
NONES = (0.4, 0.5, 0.6, 0.7)
PROBS = (0.0, 0.2, 0.3, 0.4)
MARGINS = (0.0, 0.1)
NEAR = 0.7
"""Cosine of character 3-gram TF-IDF above which two questions count as copies."""


def labelled() -> list[tuple[str, str, str, str]]:
    """Return (question, label, group, file) for every tunable labelled question."""
    rows: list[tuple[str, str, str, str]] = []
    for name in SETS:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            source = fields[3].strip() if len(fields) > 3 else ""
            group = source.split(" ")[0] if source.startswith("http") else ""
            rows.append((fields[0], fields[1].strip(), group, name))
    return rows


def written(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """Return the training rows that are not copies of labelled questions."""
    text = resources.files("bot").joinpath("data/faq_train.tsv").read_text(encoding="utf-8")
    copies = {row[0] for row in rows}
    return [(q, label) for q, label in read_examples(text) if q not in copies]


def near_pairs(left: list[str], right: list[str]) -> list[tuple[int, int]]:
    """Return index pairs (i in left, j in right) of near-copy questions."""
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), lowercase=True)
    vec.fit(left + right)
    sims = (vec.transform(left) @ vec.transform(right).T).tocoo()
    return [
        (int(i), int(j)) for i, j, s in zip(sims.row, sims.col, sims.data, strict=True) if s >= NEAR
    ]


def groups_of(rows: list[tuple[str, str, str, str]]) -> list[int]:
    """Return a group number per row: same page, or near copies, share one (union-find)."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_source: dict[str, int] = {}
    for i, (_, _, group, _) in enumerate(rows):
        if group:
            parent[find(i)] = find(by_source.setdefault(group, i))
    questions = [row[0] for row in rows]
    for i, j in near_pairs(questions, questions):
        parent[find(i)] = find(j)
    return [find(i) for i in range(len(rows))]


def folds_of(rows: list[tuple[str, str, str, str]], folds: int, holdout: str) -> list[list[int]]:
    """Return the held-out row indices of each fold."""
    if holdout:
        return [[i for i, row in enumerate(rows) if row[3] == holdout]]
    groups = groups_of(rows)
    ids = sorted(set(groups))
    random.Random(13).shuffle(ids)
    fold_of = {g: k % folds for k, g in enumerate(ids)}
    return [[i for i, g in enumerate(groups) if fold_of[g] == k] for k in range(folds)]


def parse_value(text: str) -> Any:
    """Read a --set value as JSON when it parses, else as a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


Ranked = list[tuple[str, list[tuple[str, float]]]]
"""(expected label, ``FaqIndex.scores``) per held-out question."""


def held_out(
    data: dict[str, Any],
    rows: list[tuple[str, str, str, str]],
    base: list[tuple[str, str]],
    held: list[int],
) -> tuple[Ranked, float, int]:
    """Train without ``held`` and its near copies: its scores, training seconds, copies left out."""
    held_set = set(held)
    near = {j for _, j in near_pairs([rows[i][0] for i in held], [q for q, _ in base])}
    train = [row for j, row in enumerate(base) if j not in near]
    train += [(rows[i][0], rows[i][1]) for i in range(len(rows)) if i not in held_set]
    start = time.perf_counter()
    index = FaqIndex(data, train)
    seconds = time.perf_counter() - start
    return [(rows[i][1], index.scores(rows[i][0])) for i in held], seconds, len(near)


def rates(gate: Gate, ranked: Ranked) -> tuple[float, float]:
    """Return in-scope right and out-of-scope declined at one gate."""
    right_in = right_out = n_in = 0
    for expected, scores in ranked:
        got = gate.pick(scores)
        if expected == "none":
            right_out += got is None
        else:
            n_in += 1
            right_in += got == expected
    return right_in / n_in, right_out / (len(ranked) - n_in)


def gates(model: dict[str, Any]) -> list[tuple[Gate, str]]:
    """Return the grid of gates, each with its printed cells."""
    sure = gate_of(model)  # the "surely in scope" branch stays as set in the grid
    return [
        (
            Gate(max_none, min_prob, min_margin, sure.sure_none, sure.sure_prob),
            f"{max_none:>9.2f}{min_prob:>9.2f}{min_margin:>11.2f}",
        )
        for max_none, min_prob, min_margin in itertools.product(NONES, PROBS, MARGINS)
    ]


def every_set(data: dict[str, Any], rows: list[tuple[str, str, str, str]]) -> None:
    """Hold out each real set whole in turn and print every gate's figures on all of them.

    A setting is worth changing only when it holds on every set held out, so the grid shows
    each set's in-scope right / declined side by side, and the worst decline rate among them.
    """
    base = written(rows)
    ranked = {
        name: held_out(data, rows, base, [i for i, row in enumerate(rows) if row[3] == name])[0]
        for name in (f"faq_{h}.tsv" for h in HOLDOUTS)
    }
    print(f"each real set held out whole; {data['classifier']}")
    head = "".join(f"{name[4:-4]:>14}" for name in ranked)
    print(f"{'max_none':>9}{'min_prob':>9}{'min_margin':>11}{head}{'worst declined':>16}")
    for gate, cells in gates(data["classifier"]):
        figures = [rates(gate, scores) for scores in ranked.values()]
        row = "".join(f"{f'{r_in:.1%}/{r_out:.1%}':>14}" for r_in, r_out in figures)
        print(f"{cells}{row}{min(r_out for _, r_out in figures):>16.1%}")


def main() -> None:
    """Print the cross-validated figures for every gate in the grid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--holdout",
        choices=("", *HOLDOUTS, "every"),
        default="",
        help=f"hold out one real set whole (faq_{HOLDOUTS[-1]}.tsv is the newest), or each in turn",
    )
    parser.add_argument("--set", action="append", default=[], help="classifier key=value")
    parser.add_argument("--show", action="store_true", help="list the misses at the set gate")
    args = parser.parse_args()

    raw = resources.files("bot").joinpath("data/faq.json").read_text(encoding="utf-8")
    data = cast(dict[str, Any], json.loads(raw))
    for item in args.set:
        key, _, value = item.partition("=")
        data["classifier"][key] = parse_value(value)
    rows = labelled()
    if args.holdout == "every":
        every_set(data, rows)
        return
    base = written(rows)
    holdout = f"faq_{args.holdout}.tsv" if args.holdout else ""
    ranked: Ranked = []
    asked: list[str] = []
    train_s: list[float] = []
    dropped = 0
    for held in folds_of(rows, args.folds, holdout):
        scores, seconds, near = held_out(data, rows, base, held)
        ranked += scores
        asked += [rows[i][0] for i in held]
        train_s.append(seconds)
        dropped += near
    n_in = sum(expected != "none" for expected, _ in ranked)
    print(
        f"{len(ranked)} held-out questions ({n_in} in scope), "
        f"{args.holdout or f'{args.folds} grouped folds'}, {len(base)} written rows "
        f"({dropped} near copies of held-out questions left out); "
        f"training {min(train_s):.2f}-{max(train_s):.2f} s; {data['classifier']}"
    )
    print(f"{'max_none':>9}{'min_prob':>9}{'min_margin':>11}{'in-scope right':>17}{'declined':>11}")
    best = (-1.0, "")
    for gate, cells in gates(data["classifier"]):
        rate_in, rate_out = rates(gate, ranked)
        best = max(best, (min(rate_in, rate_out), cells))
        print(f"{cells}{rate_in:>17.1%}{rate_out:>11.1%}")
    print(f"best worse-of-two {best[0]:.1%} at max_none, min_prob, min_margin ={best[1]}")
    if args.show:
        gate = gate_of(data["classifier"])
        for question, (expected, scores) in zip(asked, ranked, strict=True):
            got = gate.pick(scores) or "none"
            if got != expected:
                top = ", ".join(f"{label} {p:.2f}" for label, p in scores[:3]) or "hard gate"
                print(f"  {question!r}: expected {expected}, got {got} ({top})")


if __name__ == "__main__":
    main()
