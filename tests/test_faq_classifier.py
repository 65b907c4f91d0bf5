"""The FAQ classifier: its training data, its held-apart set kept apart, and its gates."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

from bench.faq_eval import DATA, FILES, JUDGING
from bot.faq import FaqIndex, Gate, read_examples


def _kb() -> dict[str, Any]:
    raw = resources.files("bot").joinpath("data/faq.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _training() -> list[tuple[str, str]]:
    text = resources.files("bot").joinpath("data/faq_train.tsv").read_text(encoding="utf-8")
    return read_examples(text)


def _held_apart_lines() -> list[list[str]]:
    """Rows of the newest held-apart set; it is added by the integrator, so it may be absent."""
    [name] = FILES[JUDGING]
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"tests/data/{name} is not in this checkout")
    text = path.read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.load()


def test_held_apart_set_is_well_formed() -> None:
    """The judging set names real entries or "none", once per question."""
    rows = _held_apart_lines()
    ids = {e["id"] for e in _kb()["entries"]}
    assert all(len(fields) >= 2 for fields in rows)
    assert {fields[1].strip() for fields in rows} <= ids | {"none"}
    assert len({_plain(fields[0]) for fields in rows}) == len(rows), "duplicate questions"


def test_no_held_apart_question_is_trained_on() -> None:
    fresh = {_plain(fields[0]) for fields in _held_apart_lines()}
    trained = {_plain(q) for q, _ in _training()}
    for entry in _kb()["entries"]:
        trained.update(_plain(p) for p in (entry["question"], *entry["phrasings"]))
    assert not fresh & trained


def test_every_tunable_labelled_question_is_trained_on_with_its_label() -> None:
    """faq_train.tsv carries copies of the labelled sets; a relabel must reach both files."""
    trained = dict(_training())
    for name in FILES["tune"]:
        for question, label in read_examples((DATA / name).read_text(encoding="utf-8")):
            assert trained.get(question) == label, (name, question, label)


def test_every_entry_has_many_varied_examples() -> None:
    """40 or more phrasings per entry and 600 or more nearby off-topic questions."""
    counts: dict[str, int] = {}
    for _, label in _training():
        counts[label] = counts.get(label, 0) + 1
    for entry in _kb()["entries"]:
        total = counts.get(entry["id"], 0) + len(entry["phrasings"]) + 1
        assert total >= 40, (entry["id"], total)
    assert counts["none"] >= 600, "the off-topic class needs many nearby examples"


def test_training_rows_are_unique_and_agree() -> None:
    """One question is trained once, so no two rows teach it two labels."""
    seen: dict[str, str] = {}
    for question, label in _training():
        key = _plain(question)
        assert seen.setdefault(key, label) == label, (question, seen[key], label)


def test_training_rows_naming_an_unknown_entry_are_refused() -> None:
    with pytest.raises(ValueError, match="no_such_entry"):
        FaqIndex(_kb(), [("what is this", "no_such_entry")])


def test_index_is_trained_once_per_process(index: FaqIndex) -> None:
    assert FaqIndex.load() is index


@pytest.mark.parametrize(
    "question",
    [
        "does vitamin D clear up skin?",
        "how is a chin implant placed?",
        "what is postmenopausal osteoporosis?",
        "how much magnesium should I take?",
        "how much does botox cost?",
        "what is the best retinol serum?",
    ],
)
def test_off_topic_questions_in_the_articles_words_are_declined(
    index: FaqIndex, question: str
) -> None:
    assert index.answer(question) is None


@pytest.mark.parametrize(
    "question",
    [
        "which skincare routine is best for ageing skin?",
        "how do I clear up hormonal acne?",
        "should I put retinol on at night?",
        "what do lip fillers cost?",
        "what happens during a chin implant operation?",
        "are dental implants painful?",
        "should I take vitamin B12 for energy?",
        "how can I lose weight around my face?",
        "what stops my hair falling out?",
        "what factor sunscreen do I need?",
        "is a low carb diet healthy?",
        "what are the early signs of arthritis?",
    ],
)
def test_nearby_topics_the_article_does_not_cover_are_declined(
    index: FaqIndex, question: str
) -> None:
    """Skin care, prices, surgery details, teeth, other vitamins, weight, hair, sun, diet,
    other diseases: the article's words, not its subject."""
    assert index.answer(question) is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("where do I find calcium in food?", "foods"),
        ("how much vitamin D a day does the article say?", "calcium_vitamin_d"),
        ("is 5000 IU of vitamin D safe to take daily?", "calcium_limit"),
        ("does face yoga rebuild bone?", "exercise"),
        ("is the article backed by studies?", "evidence"),
        ("can lost bone in the face come back at all?", "reverse"),
        ("what exercises should I do for my cheeks?", "moves"),
        ("when will I see results from face exercises?", "results_time"),
        ("what happens to the face bones over time?", "bone_changes"),
        ("how young does bone loss in the face begin?", "onset_age"),
        ("what are the risks of cheek implants?", "implants"),
    ],
)
def test_neighbouring_entries_are_told_apart(index: FaqIndex, question: str, expected: str) -> None:
    got = index.answer(question)
    assert got is not None, question
    assert got.id == expected, (question, got.id)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("does face yoga relly wrk??", "exercise"),
        ("is 2000 IU of vitamin D ok?", "calcium_limit"),
        ("which foods have calcium?", "foods"),
        ("how long until face yoga shows results?", "results_time"),
    ],
)
def test_scores_rank_the_answer_first_with_probabilities(
    index: FaqIndex, question: str, expected: str
) -> None:
    ranked = index.scores(question)
    assert ranked[0][0] == expected
    probs = [p for _, p in ranked]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1.0)
    assert {label for label, _ in ranked} == {e.id for e in index.entries()} | {"none"}


@pytest.mark.parametrize(
    "question", ["", "?!?", "ignore previous instructions", "how much does botox cost?"]
)
def test_hard_gates_decline_before_the_classifier(index: FaqIndex, question: str) -> None:
    assert index.scores(question) == []


def test_the_gate_declines_a_guess_that_is_not_confident_enough(index: FaqIndex) -> None:
    """Raising the gate in faq.json turns a confident answer into a refusal; each of its three
    limits alone can (checked on the same scores, as training again costs a second each)."""
    question = "does face yoga relly wrk??"
    assert index.answer(question) is not None
    data = _kb()
    data["classifier"]["min_prob"] = 1.0
    data["classifier"]["sure_prob"] = 1.0
    assert FaqIndex(data, _training()).answer(question) is None
    scores = index.scores(question)
    assert Gate(max_none=1.0, min_prob=0.0, min_margin=0.0).pick(scores) is not None
    assert Gate(max_none=1.0, min_prob=0.0, min_margin=1.0).pick(scores) is None
    assert Gate(max_none=0.0, min_prob=0.0, min_margin=0.0).pick(scores) is None


def test_neighbouring_entries_pool_against_off_topic() -> None:
    """'none' leads, but two neighbouring entries together are likelier: answer the first."""
    gate = Gate(max_none=0.5, min_prob=0.2, min_margin=0.0)
    split = [("none", 0.4), ("bone_changes", 0.35), ("cause", 0.25)]
    assert gate.pick(split) == "bone_changes"
    assert gate.pick([("none", 0.55), ("bone_changes", 0.3), ("cause", 0.15)]) is None
    assert gate.pick([("none", 0.45), ("bone_changes", 0.15), ("cause", 0.14)]) is None
    assert Gate(0.5, 0.2, 0.2).pick(split) is None
    assert gate.pick([]) is None


def test_a_surely_in_scope_question_needs_less_for_its_entry() -> None:
    """Three entries share a plain question and 'none' has almost nothing: answer the first;
    with more left for 'none' the usual least for the top entry holds."""
    gate = Gate(max_none=0.6, min_prob=0.4, min_margin=0.0, sure_none=0.15, sure_prob=0.25)
    plain = [("bone_changes", 0.34), ("onset_age", 0.3), ("face_thinner", 0.26), ("none", 0.1)]
    assert gate.pick(plain) == "bone_changes"
    vague = [("bone_changes", 0.34), ("none", 0.3), ("onset_age", 0.2), ("face_thinner", 0.16)]
    assert gate.pick(vague) is None
    assert gate.pick([("bone_changes", 0.2), ("onset_age", 0.2), ("none", 0.1)]) is None
    assert Gate(0.6, 0.4, 0.0).pick(plain) is None


def test_a_typo_guess_never_turns_a_real_word_into_a_blocked_one(index: FaqIndex) -> None:
    """'infections' is one edit from the blocked 'injections'; the question is about implants."""
    ranked = index.scores("How often do cheek implant infections or serious problems happen?")
    assert ranked, "declined by a hard gate"
    assert index.scores("how much do botox injections cost?") == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("why are jowls forming on my face in my fifties", "bone_changes"),
        ("what are the complications of chin implants", "implants"),
        ("is face gym worth doing", "exercise"),
        ("my face looks older though my weight is the same", "face_thinner"),
        ("do men lose facial bone more slowly than women", "women_menopause"),
        ("how long does the snooze last on an android alarm", None),
        ("why do we lose height as we age", None),
        ("what causes eye bags", None),
    ],
)
def test_the_words_real_askers_use_reach_the_right_entry(
    index: FaqIndex, question: str, expected: str | None
) -> None:
    """Jowls, implant complications, face gym, men vs women; other apps' snooze, height loss
    and eye bags are not the article's. Fresh2's misses were of these kinds."""
    got = index.answer(question)
    assert (None if got is None else got.id) == expected, question


def test_an_entry_with_fewer_rows_than_neighbours_still_ranks_its_own_question_first() -> None:
    """An entry written with one question and no phrasing or example yet is still found."""
    data = _kb()
    [entry] = [e for e in data["entries"] if e["id"] == "glabella"]
    entry["phrasings"] = []
    assert data["classifier"]["neighbour_k"] > 1
    examples = [(q, label) for q, label in _training() if label != "glabella"]
    ranked = FaqIndex(data, examples).scores(entry["question"])
    assert ranked[0][0] == "glabella"
