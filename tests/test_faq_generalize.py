"""Issue 13's examples, answers that fit the question, and no long answer reused for others."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq import FaqIndex
from schedules.parsing import SNOOZE_MINUTES

DATA = Path(__file__).parent / "data"
ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "article.txt"
TITLE = "Can You Reverse Bone Loss and Reshape the Facial Bone with Facial Exercise?"
LONG_WORDS = 60
MAX_WORDS = 80


def _rows(name: str) -> list[tuple[str, str]]:
    """Labelled rows of a data file, leaving out the held-apart test split (bench reports it)."""
    rows: list[tuple[str, str]] = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) > 2 and fields[2] == "test":
                continue
            rows.append((fields[0], fields[1]))
    return rows


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.load()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how does smoking affect the bones?", "smoking"),
        ("can a facial exercise programme prevent bone loss?", "exercise"),
        ("does facercise do anything for bone loss?", "exercise"),
        ("is face gym any good for bone loss", "exercise"),
        ("can exercise reduce wrinkles on the face", "exercise_looks"),
        ("why does my face look older even though my weight hasn't changed?", "face_thinner"),
        ("I'm 52 and just went through menopause, will my face change?", "women_menopause"),
        ("does face yoga relly wrk??", "exercise"),
        ("bone loss", "bone_changes"),
        ("what are the risks of facial implants?", "implants"),
        ("can facial exercises change my bone structure?", "exercise"),
        ("can exercise change the shape of the bones in my face?", "exercise"),
        ("can I take too much calcium?", "calcium_limit"),
        ("is 2000 IU of vitamin D ok?", "calcium_limit"),
        ("at what age does it start?", "onset_age"),
        ("where is this from?", "bot_source"),
        ("which foods have calcium?", "foods"),
        ("how long until face yoga shows results?", "results_time"),
    ],
)
def test_issue_examples(index: FaqIndex, question: str, expected: str) -> None:
    got = index.answer(question)
    assert got is not None, question
    assert got.id == expected, (question, got.id)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # faq_fresh3.tsv's miss kinds, read after its one measurement, in other words than its own
        # neighbouring entries: the looks, the evidence about bone, and "which moves"
        ("will face yoga get rid of my jowls?", "exercise_looks"),
        ("do face workouts make you look younger?", "exercise_looks"),
        ("can face exercises stop facial bone loss?", "exercise"),
        ("which exercises tighten saggy jowls?", "moves"),
        ("what exercises should I do for jowls", "moves"),
        # "more is better?" has no answer in the article: say so, not the targets
        ("if 1000 mg of calcium is good, is 2500 mg even better?", "calcium_limit"),
        # plain questions that used to be declined
        ("how long until I see results?", "results_time"),
        ("when will face yoga start to show?", "results_time"),
        ("how often should I put on moisturizer?", "moisturizer"),
        ("why are my eyebrows drooping as I get older?", "eye_sockets"),
        ("my brows are sagging, why?", "eye_sockets"),
        ("does your skull get smaller with age?", "bone_changes"),
        # off topic although every word is the article's: surgery details, dental implants
        ("what happens during a cheek implant operation?", None),
        ("what are chin implants made of?", None),
        ("how long is the healing time after chin implant surgery?", None),
        ("can I get dental implants if I have lost jaw bone?", None),
        # faq_fresh4.tsv's miss kinds, likewise
        # plain in-scope questions the "none" class used to win
        ("what happens to a face as the years go by?", "bone_changes"),
        ("is my chin getting smaller with age?", "bone_changes"),
        ("what are the 11 lines between my brows?", "glabella"),
        ("everyone online is doing face yoga, is it legit?", "exercise"),
        ("what is a cheek implant made of, could my body reject it?", "implants"),
        ("can I switch a habit off for a while?", "bot_pause"),
        ("why do women look old sooner than men?", "women_menopause"),
        # a blocked word that is not what the question is about
        ("which face and neck yoga exercises are good?", "moves"),
        ("can I get a reminder to take my medication?", "bot_times"),
        # ... and blocked words that are the question's subject still decline
        ("what cream works best on neck lines?", None),
        ("can I take my blood pressure medication with calcium?", None),
        # neighbouring entries
        ("is 1500 mg of calcium a day a lot?", "calcium_limit"),
        ("do face exercises firm up sagging jowls?", "exercise_looks"),
        # near the article but not in it
        ("what age should I start wearing night cream?", None),
        ("my reminders don't seem to work, any idea why?", None),
        # faq_fresh5.tsv's miss kinds, likewise: off-topic questions beside an entry's words
        # (bone in the mouth, jaws over evolution, calcium elsewhere in the body, IU sums,
        # menopausal skin, resorption in general, who may do face yoga)
        ("will jaw bone come back around a lost tooth?", None),
        ("why do humans have smaller jaws than cavemen did?", None),
        ("what does calcium do for the nerves?", None),
        ("how many mcg is 800 IU of vitamin D?", None),
        ("does menopause change your skin?", None),
        ("what is bone resorption?", None),
        ("is face yoga suitable for everyone?", None),
        # ... while the article's own points in such words still answer
        ("could a chin implant shift out of place over time?", "implants"),
        ("does smoking make your face look older?", "smoking"),
        # faq_fresh6.tsv's miss kinds, likewise: osteoporosis asked about the face is in scope
        ("does osteoporosis change the way your face looks?", "bone_changes"),
        ("can brittle bones in old age change the face?", "bone_changes"),
        # ... bone lost in the jaw around the teeth is not
        ("can the bone lost in my jaw after pulling teeth grow back?", None),
        # other apps' reminders and this bot's code are not about what the bot does
        ("which app can remind me about bin day?", None),
        ("how do I get my Samsung phone to remind me every day?", None),
        ("is the code for this bot on github?", None),
        # ... while this bot's own reminders still answer
        ("could this bot message me at 7 every evening?", "bot_times"),
        # neighbouring entries: the looks, why calcium matters, which foods
        ("does face yoga give you a sharper jawline?", "exercise_looks"),
        ("why should I bother getting calcium and vitamin D?", "calcium_vitamin_d"),
        ("what should be on my plate for healthy bones?", "foods"),
        # "medical" is not the blocked "medication"
        (
            "what is the daily vitamin D dose for a healthy adult with no medical problems?",
            "calcium_vitamin_d",
        ),
        # faq_fresh7.tsv's miss kinds, likewise: requests to the bot put as feature requests
        # or commands
        ("reminders should be snoozable for a chosen time", "bot_snooze"),
        ("opt me out of this please", "bot_pause"),
        ("Describe the purpose of this bot", "bot_about"),
        ("syntax for setting a time zone in this bot", "bot_times"),
        # what vitamin D does is answered (bones, osteoporosis), a dose in units is the limit
        ("how does vitamin d help the body", "calcium_vitamin_d"),
        ("what is vitamin d3 good for", "calcium_vitamin_d"),
        ("Is D3 10000 healthy", "calcium_limit"),
        # ... while other vitamins, multivitamins, face tape and coming off hormones are not
        ("should a healthy person take a daily multi-vitamin?", None),
        ("why is vitamin a needed by the body", None),
        ("does face tape smooth wrinkles?", None),
        ("is it safe for an 80 year old to stop taking hormone pills", None),
        # neighbours: cheek exercises and the looks, not the moves
        ("do cheek exercises help at all", "exercise_looks"),
    ],
)
def test_the_kinds_of_question_held_apart_sets_missed(
    index: FaqIndex, question: str, expected: str | None
) -> None:
    """Each held-apart set's misses, asked again in other words (its questions are training rows
    now, so only new wording shows whether the fix generalizes)."""
    got = index.answer(question)
    assert (got.id if got else None) == expected, (question, got)


@pytest.mark.parametrize(
    ("entry_id", "first"),
    [
        ("calcium_limit", "The article gives no upper limit"),
        ("onset_age", "The article gives no age"),
        ("foods", "The article names no foods"),
        ("moves", "The article names no specific moves"),
        ("results_time", "The article doesn't say how long"),
        ("reverse", "Not as far as the article can show"),
    ],
)
def test_what_the_article_does_not_cover_is_said_first(
    index: FaqIndex, entry_id: str, first: str
) -> None:
    entry = index.get(entry_id)
    assert entry is not None
    assert entry.answer.startswith(first)


@pytest.mark.parametrize(
    ("question", "expected", "says"),
    [
        ("how often should i put moisturiser on my face?", "moisturizer", "gives no schedule"),
        ("do i need moisturizer if my skin is oily", "moisturizer", "skin type"),
        ("are facials worth the money?", "facials", "worth the cost"),
        ("can osteoporosis change the way your face looks?", "bone_changes", "osteoporosis"),
        ("can i drink milk instead of taking calcium tablets", "foods", "replace a supplement"),
        ("does smoking make your face look older", "smoking", "how the face looks"),
        ("do i need a calcium supplement", "calcium_vitamin_d", "whether you need a supplement"),
        ("how much calcium do i need at 70", "calcium_vitamin_d", "no amounts by age"),
        ("how do streaks work", "bot_about", "streaks"),
        # the range /snooze takes, kept in step with it
        ("can i snooze for 12 hours", "bot_snooze", "from {} to {}".format(*SNOOZE_MINUTES)),
    ],
)
def test_a_general_answer_speaks_to_the_point_asked(
    index: FaqIndex, question: str, expected: str, says: str
) -> None:
    """Blind readers judged these "partly" answered: the entry was right, the point unsaid."""
    entry = index.answer(question)
    assert entry is not None, question
    assert entry.id == expected, (question, entry.id)
    assert says in entry.answer


def test_where_is_this_from_names_the_article_by_its_title(index: FaqIndex) -> None:
    if ARTICLE.is_file():
        assert ARTICLE.read_text(encoding="utf-8").splitlines()[0].strip() == TITLE
    entry = index.answer("where is this from?")
    assert entry is not None
    assert TITLE in entry.answer


def test_answers_are_short(index: FaqIndex) -> None:
    for entry in index.entries():
        assert len(entry.answer.split()) <= MAX_WORDS, (entry.id, len(entry.answer.split()))


def test_no_long_answer_goes_to_a_question_it_was_not_written_for(index: FaqIndex) -> None:
    """Two different questions share a long answer only when both are labelled for that entry,
    i.e. are the same question in other words; a wrong guess is never a long one."""
    rows = _rows("faq_real.tsv") + _rows("faq_eval.tsv")
    served: dict[str, set[str]] = {}
    for question, expected in rows:
        got = index.answer(question)
        if got is None or len(got.answer.split()) <= LONG_WORDS:
            continue
        assert got.id == expected, (question, expected, got.id)
        served.setdefault(got.id, set()).add(expected)
    assert all(labels == {entry_id} for entry_id, labels in served.items())


def test_multi_part_message_is_answered_part_by_part(index: FaqIndex) -> None:
    found = index.answers(
        "I'm 52. Will my face change after menopause? Also, can I take too much calcium? "
        "And what about smoking, does it hurt the bones?"
    )
    assert [e.id for e in found] == ["women_menopause", "calcium_limit", "smoking"]


def test_a_follow_up_part_is_read_with_the_part_it_follows(index: FaqIndex) -> None:
    """ "How do I avoid it?" alone is too little to answer; after an answered part it is not."""
    found = index.answers("can you get osteoporosis in the face, and how do I avoid it?")
    assert [e.id for e in found] == ["bone_changes", "prevention"]
