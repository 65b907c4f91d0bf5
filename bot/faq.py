"""Answer free-text questions from the one article the bot is built on, or decline.

Users type questions in their own words, with typos and slang, and many are about things the
article never covers but that share its words (skin care, other vitamins, surgery prices).
Inventing an answer there would be worse than saying nothing, so the engine is a closed-book
classifier over hand-written answers in ``bot/data/faq.json``: a logistic regression over word
and character n-grams, trained at start-up on ``bot/data/faq_train.tsv`` (many paraphrases per
entry plus an explicit "none" class of off-topic questions near the article) and the phrasings
in the JSON. The word features come from a normaliser (typo correction with rapidfuzz, Snowball
stemming, a small synonym table and intent tokens for the kind of thing asked: an upper limit,
an age, which foods or moves, how soon, the source). An answer is given only when the message is
not about a blocked topic, the entries together have enough probability against "none" (pooled,
so two neighbouring entries splitting an in-scope question do not turn it into a refusal), and
the likeliest entry is likely enough; otherwise the bot declines. Hand-tuned tables fitted the
questions they were tuned on and little else; a classifier trained on many varied phrasings
generalises better. N-grams still only know the training rows' words, so the classifier's
probabilities are blended with how close the question is in meaning to each class's rows
(WordLlama sentence embeddings, whose weights ship in a wheel). Everything is built in memory
from package data at start-up (about 1.4 s, once per process); nothing is downloaded and nothing
leaves the process.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

import bm25s.stopwords
import numpy as np
import scipy.sparse as sp
import snowballstemmer  # type: ignore[import-untyped]
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.embeddings import embedder

__all__ = ["MAX_MESSAGE_CHARS", "FaqEntry", "FaqIndex", "Gate", "gate_of"]

MAX_MESSAGE_CHARS = 1500
"""Longest free-text message answered; a real message can ask three things in 560 characters."""
_MAX_QUESTION_CHARS = 500
_MAX_PARTS = 3
_BLOCK_ROWS = 1000
_PARTS = re.compile(
    r"(?<=[?!.;])\s+|\n+|\s+(?:and also|also|plus|and what about|what about)\s+"
    r"|,\s+(?:and|but)\s+(?=(?:if|is|are|does|do|can|will|would|should|how|what|when|why)\b)"
)
_BLOCKED = "\x00blocked"
_NONE = "none"
_UNKNOWN = "\x00unknown"
_WORD = re.compile(r"[a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9_]{1,20}")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """Return the Snowball stem of one lower-case word."""
    return cast(str, _STEMMER.stemWord(word))


def _raw_tokens(text: str) -> list[str]:
    """Split text into lower-case ASCII word tokens (apostrophes joined, accents dropped)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.lower().replace("'", "")
    return _WORD.findall(text)


class _Neighbours:
    """How close a question is in meaning to each class's training rows, as probabilities.

    A class's closeness is the mean cosine of its ``k`` nearest rows in embedding space; a
    softmax at ``temperature`` turns the closeness of every class (``none`` too: off-topic
    questions sit nearest the off-topic rows) into probabilities to blend with the classifier's.
    """

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        classes: Sequence[str],
        k: int,
        temperature: float,
    ) -> None:
        position = {label: i for i, label in enumerate(classes)}
        order = sorted(range(len(texts)), key=lambda i: position[labels[i]])
        self._rows = embedder()([_raw_text(texts[i]) for i in order])
        counts = np.bincount([position[label] for label in labels], minlength=len(classes))
        bounds = np.concatenate([[0], np.cumsum(counts)])
        # the classes' rows side by side in one padded block, so that their nearest rows are
        # found in one partial sort rather than one sort per class (a fifth of a long message's
        # time, which is matched part by part); a class much larger than the rest ("none")
        # keeps its own, so the block is not padded out to its size
        small = [i for i, n in enumerate(counts) if n <= _BLOCK_ROWS]
        width = max((int(counts[i]) for i in small), default=1)
        self._block = np.full((len(small), width), len(order), dtype=np.int64)
        for row, i in enumerate(small):
            self._block[row, : counts[i]] = np.arange(bounds[i], bounds[i + 1])
        self._small = np.asarray(small, dtype=np.int64)
        self._taken = np.minimum(counts[small], k)
        self._large = [
            (i, int(bounds[i]), int(bounds[i + 1])) for i, n in enumerate(counts) if n > _BLOCK_ROWS
        ]
        self._k = min(k, width)
        self._temperature = temperature

    def probabilities(self, text: str) -> np.ndarray:
        """Return one probability per class, in the classifier's class order."""
        # einsum, not @: a matrix-vector product this size makes BLAS start its threads, and on
        # a busy machine waiting for them took p99 from 0.7 ms to 15 ms; einsum stays on this one
        sims = np.einsum("ij,j->i", self._rows, embedder()([_raw_text(text)])[0])
        padded = np.append(sims, -np.inf)[self._block]
        top = -np.partition(-padded, self._k - 1, axis=1)[:, : self._k]
        near = np.empty(len(self._small) + len(self._large))
        near[self._small] = np.where(np.isfinite(top), top, 0.0).sum(axis=1) / self._taken
        for i, a, b in self._large:
            near[i] = np.partition(sims[a:b], b - a - self._k)[-self._k :].mean()
        weights = np.exp((near - near.max()) / self._temperature)
        return cast(np.ndarray, weights / weights.sum())


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question the bot can answer, with its answer in the bot's own words."""

    id: str
    topic: str
    question: str
    answer: str
    about_bot: bool


class _Normaliser:
    """Turns raw text into canonical content tokens, the same way for queries and phrasings."""

    def __init__(self, data: dict[str, Any]) -> None:
        # the knowledge base's own list plus a generic English one, so ordinary words in long
        # natural messages ("went", "through", "few") are not mistaken for unknown topics
        stopwords = frozenset(data["stopwords"]) | {
            w.replace("'", "") for w in bm25s.stopwords.STOPWORDS_EN_PLUS
        }
        keep_words = frozenset(data.get("keep_words", []))
        surface_syn: dict[str, str] = {}
        stem_syn: dict[str, str] = {}
        for canonical, variants in data["synonyms"].items():
            for word in (canonical, *variants):
                surface_syn[word] = canonical
                stem_syn.setdefault(_stem(word), canonical)
        self._stopwords = stopwords - keep_words
        self._surface_syn = surface_syn
        self._stem_syn = stem_syn
        self._phrases_raw = {
            tuple(_raw_tokens(key)): tuple(value.split())
            for key, value in data["phrases_raw"].items()
        }
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for key, value in data["phrases"].items():
            canon_value = tuple(self._canonical(w) for w in value.split())
            self._phrases[self._canonical_seq(_raw_tokens(key))] = canon_value
        blocked: set[str] = set()
        for item in data["blocked"]:
            seq = self._canonical_seq(_raw_tokens(item))
            if len(seq) == 1:
                blocked.add(seq[0])
            elif seq:
                self._phrases[seq] = (_BLOCKED,)
        self._blocked = frozenset(blocked)
        # an intent named "blocked" marks a question the article can't answer (a price, how a
        # surgery is performed) however on-topic its words are
        # one alternation per intent: a token is marked once however many of its patterns
        # match, and a message is scanned once per intent rather than once per pattern
        self._intents = tuple(
            (
                re.compile("|".join(f"(?:{p})" for p in patterns)),
                _BLOCKED if token == "blocked" else token,
            )
            for token, patterns in data["intents"].items()
        )
        self._max_raw = _longest_by_first(self._phrases_raw)
        self._max_phrase = _longest_by_first(self._phrases)
        self._injection = tuple(
            re.compile(pattern, re.IGNORECASE) for pattern in data["injection_patterns"]
        )
        known: set[str] = set(stopwords) | set(surface_syn)
        for entry in data["entries"]:
            for text in (entry["question"], entry["topic"], *entry["phrasings"]):
                known.update(_raw_tokens(text))
        for text in (*data["phrases_raw"], *data["phrases"], *data["blocked"]):
            known.update(_raw_tokens(text))
        self._known = frozenset(w for w in known if w.isalpha())
        self._known_stems = frozenset(_stem(w) for w in self._known)
        by_initial: dict[str, list[str]] = {}
        for word in sorted(self._known):
            by_initial.setdefault(word[0], []).append(word)
        self._by_initial = by_initial

    def injected(self, text: str) -> bool:
        """Return True when the text looks like an attempt to steer the bot."""
        return any(p.search(text) for p in self._injection)

    def _correct(self, word: str) -> str:
        """Fix a likely typo against the known vocabulary (same first letter, 1-2 edits).

        A guess never lands on a blocked word: "infections" is not a typo of "injections",
        and a refusal should come from what was written, not from a correction.
        """
        if not word.isalpha() or len(word) < 6 or word in self._known:
            return word
        if _stem(word) in self._known_stems:
            return word
        limit = 1 if len(word) < 8 else 2
        found = process.extractOne(
            word,
            self._by_initial.get(word[0], []),
            scorer=DamerauLevenshtein.distance,
            score_cutoff=limit,
        )
        if found is None or self._canonical(found[0]) in self._blocked:
            return word
        return found[0]

    def _canonical(self, word: str) -> str:
        """Map one surface word to its canonical token (synonym, else stem)."""
        hit = self._surface_syn.get(word)
        if hit is not None:
            return hit
        stem = _stem(word)
        return self._stem_syn.get(stem, stem)

    def _canonical_seq(self, words: Iterable[str]) -> tuple[str, ...]:
        """Canonicalise words and drop stopwords (no phrase matching)."""
        return tuple(self._canonical(w) for w in words if w not in self._stopwords)

    @staticmethod
    def _replace(
        words: Sequence[str],
        table: dict[tuple[str, ...], tuple[str, ...]],
        longest: dict[str, int],
    ) -> list[str]:
        """Replace the longest matching phrases from ``table``, left to right.

        ``longest`` gives, per first word, the longest phrase starting with it, so the many
        words that start no phrase cost one dictionary look-up.
        """
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(longest.get(words[i], 0), len(words) - i), 0, -1):
                repl = table.get(tuple(words[i : i + size]))
                if repl is not None:
                    out.extend(repl)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def tokens(self, text: str) -> list[str]:
        """Return the canonical content tokens of ``text``."""
        words = [self._correct(w) for w in _raw_tokens(text)]
        marked = self._replace(words, self._phrases_raw, self._max_raw)
        canon = self._replace(self._canonical_seq(marked), self._phrases, self._max_phrase)
        found = [t for t in canon if len(t) > 1 and not t.isdigit()]
        flat = " ".join(words)
        found.extend(token for pattern, token in self._intents if pattern.search(flat))
        return found

    def is_blocked(self, tokens: Iterable[str]) -> bool:
        """Return True when a token names something the article does not cover."""
        return any(t == _BLOCKED or t in self._blocked for t in tokens)


@dataclass(frozen=True, slots=True)
class Gate:
    """When a classifier guess is trusted enough to answer: two questions, asked in turn.

    Is the message in scope at all? Only when "none" has less than ``max_none`` of the
    probability; the entries' share is pooled, so a question that splits its probability
    between two neighbouring entries (changes vs causes) still counts as in scope. Which entry?
    The most likely one, when it has at least ``min_prob`` and leads the next entry by
    ``min_margin``; when the message is surely in scope ("none" under ``sure_none``), at least
    ``sure_prob`` is enough ("how does your face age?" splits between three entries, one of
    them right, with almost nothing left for "none").
    """

    max_none: float
    min_prob: float
    min_margin: float
    sure_none: float = 0.0
    sure_prob: float = 1.0

    def pick(self, ranked: Sequence[tuple[str, float]]) -> str | None:
        """Return the entry id to answer with, or None to decline, from ``FaqIndex.scores``."""
        entries = [(label, p) for label, p in ranked if label != _NONE]
        if not entries:
            return None
        best, p_best = entries[0]
        p_next = entries[1][1] if len(entries) > 1 else 0.0
        p_none = dict(ranked).get(_NONE, 0.0)
        need = min(self.min_prob, self.sure_prob) if p_none < self.sure_none else self.min_prob
        if p_none >= self.max_none or p_best < need or p_best - p_next < self.min_margin:
            return None
        return best


class _Features:
    """Turns text into the sparse feature rows the classifier is trained and queried on.

    Word uni- and bigrams of the normalised tokens carry meaning (stems, synonyms, intents);
    character n-grams of the raw words survive typos and slang the normaliser does not know.
    A token marks each word the article's own phrasings never use, so a question about
    something else reads as such even when most of its words are the article's.
    """

    def __init__(
        self,
        norm: _Normaliser,
        vocab: frozenset[str],
        texts: Sequence[str],
        char_ngrams: tuple[int, int],
    ) -> None:
        self._norm = norm
        self._vocab = vocab
        self._words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, dtype=np.float32)
        self._bigrams = TfidfVectorizer(
            analyzer=_bigrams, sublinear_tf=True, min_df=2, dtype=np.float32
        )
        self._chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=char_ngrams,
            sublinear_tf=True,
            min_df=2,
            dtype=np.float32,
        )
        words = [self.words(t) for t in texts]
        raw = [_raw_text(t) for t in texts]
        vectorizers = (self._words, self._bigrams, self._chars)
        blocks = [v.fit_transform(d) for v, d in zip(vectorizers, (words, words, raw), strict=True)]
        self.matrix = sp.hstack(blocks, format="csr")
        offsets = np.cumsum([0, *(b.shape[1] for b in blocks)])
        self._blocks = [
            (v.build_analyzer(), v.vocabulary_, v.idf_.astype(np.float64), int(offset))
            for v, offset in zip(vectorizers, offsets, strict=False)
        ]

    def words(self, text: str) -> str:
        """Return the normalised tokens of ``text`` with unknown-word markers, space-joined."""
        out: list[str] = []
        for token in self._norm.tokens(text):
            out.append(token)
            if token not in self._vocab:
                out.append(_UNKNOWN)
        return " ".join(out)

    def vector(self, words: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (columns, values) of one text's feature row, as the training matrix has it.

        The same sublinear TF-IDF with per-block L2 norm as the vectorizers, computed in plain
        Python: one question is a few dozen n-grams, and building sparse matrices for it costs
        more than the arithmetic.
        """
        columns: list[int] = []
        values: list[float] = []
        for (analyzer, vocabulary, idf, offset), doc in zip(
            self._blocks, (words, words, _raw_text(text)), strict=True
        ):
            counts: dict[int, int] = {}
            for gram in analyzer(doc):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * idf[cols]
            weights /= np.sqrt(weights @ weights)
            columns.extend((cols + offset).tolist())
            values.extend(weights.tolist())
        return np.asarray(columns, dtype=np.int64), np.asarray(values, dtype=np.float64)


class FaqIndex:
    """A classifier over the knowledge base, with the gates that make it decline."""

    def __init__(self, data: dict[str, Any], examples: Sequence[tuple[str, str]] = ()) -> None:
        """Train on the entries' phrasings in ``data`` plus labelled ``examples``.

        ``examples`` are (question, entry id or "none") pairs; "none" marks questions the
        article does not answer, which the classifier learns as a class of their own.
        """
        self._norm = _Normaliser(data)
        entries: list[FaqEntry] = []
        vocab: set[str] = {_BLOCKED, *data["intents"]}
        texts: list[str] = []
        labels: list[str] = []
        for raw in data["entries"]:
            entry = FaqEntry(
                id=raw["id"],
                topic=raw["topic"],
                question=raw["question"],
                answer=raw["answer"],
                about_bot=bool(raw["about_bot"]),
            )
            entries.append(entry)
            for text in (entry.question, entry.topic, *raw["phrasings"]):
                vocab.update(self._norm.tokens(text))
            for text in (entry.question, *raw["phrasings"]):
                texts.append(text)
                labels.append(entry.id)
        self._entries = entries
        self._by_id = {e.id: e for e in entries}
        unknown = {label for _, label in examples} - set(self._by_id) - {_NONE}
        if unknown:
            raise ValueError(f"training examples name unknown entries: {sorted(unknown)}")
        for text, label in examples:
            texts.append(text)
            labels.append(label)
        model = data["classifier"]
        low, high = model.get("char_ngrams", (2, 5))
        self._features = _Features(self._norm, frozenset(vocab), texts, (int(low), int(high)))
        self._model = LogisticRegression(
            C=float(model["C"]),
            solver="newton-cg",
            max_iter=int(model["max_iter"]),
            tol=float(model["tol"]),
        )
        self._model.fit(self._features.matrix, np.asarray(labels))
        self._classes: list[str] = [str(c) for c in self._model.classes_]
        self._coef = np.asarray(self._model.coef_, dtype=np.float64)
        self._intercept = np.asarray(self._model.intercept_, dtype=np.float64)
        self._gate = gate_of(model)
        self._topic_ids: list[str] = list(data["topics"])
        self._blend = float(model["neighbour_weight"])
        self._blocked_max_none = float(model["blocked_max_none"])
        self._none = self._classes.index(_NONE) if _NONE in self._classes else None
        self._neighbours = _Neighbours(
            texts,
            labels,
            self._classes,
            int(model["neighbour_k"]),
            float(model["neighbour_temperature"]),
        )

    @classmethod
    def load(cls) -> FaqIndex:
        """Return the index built from the package data (trained once per process)."""
        return _load_packaged()

    def entries(self) -> list[FaqEntry]:
        """Return every entry, in knowledge-base order."""
        return list(self._entries)

    def get(self, entry_id: str) -> FaqEntry | None:
        """Return the entry with this id, or None."""
        return self._by_id.get(entry_id)

    def topics(self) -> list[FaqEntry]:
        """Return the entries for the /faq topic buttons: article topics first, then the bot."""
        chosen = [self._by_id[i] for i in self._topic_ids if i in self._by_id]
        return sorted(chosen, key=lambda e: e.about_bot)

    def answer(self, question: str) -> FaqEntry | None:
        """Return the entry that answers ``question`` best, or None when out of scope."""
        found = self.answers(question)
        return found[0] if found else None

    def answers(self, message: str) -> list[FaqEntry]:
        """Return the entries that answer a message, one per question it asks (at most three).

        A message is split into sentences and each is matched on its own, so "I'm 52. Will my
        face change? And can I take too much calcium?" gets two answers. A part that declines
        on its own is read again together with the answered part before it, so the follow-up
        in "can you get osteoporosis in the face, and how do I avoid it?" gets its own answer.
        When no sentence is enough on its own, the whole message is matched instead.
        """
        text = message[:MAX_MESSAGE_CHARS]
        parts = [p for p in _PARTS.split(text) if p and p.strip()]
        found: list[FaqEntry] = []
        if len(parts) > 1:
            previous: str | None = None
            for part in parts:
                match = self._match(part)
                if match is None and previous is not None:
                    # a follow-up ("..., and how do I avoid it?") says little on its own: read it
                    # together with the answered part it follows
                    match = self._match(f"{previous} {part}")
                if match is not None and match not in found:
                    found.append(match)
                previous = part if match is not None else None
        if not found:
            whole = self._match(text)
            if whole is not None:
                found.append(whole)
        return found[:_MAX_PARTS]

    def scores(self, question: str) -> list[tuple[str, float]]:
        """Return every class ("none" included) with its probability, most likely first.

        The probability is the classifier's blended with the nearest-neighbour one
        (``neighbour_weight`` of it, under ``classifier`` in ``faq.json``).

        Empty when a hard gate declines: the text looks like an attempt to steer the bot, has no
        usable words, or names a blocked topic while "none" has at least ``blocked_max_none`` of
        the probability (a blocked word in a question about something else, "face and neck
        exercises" or "a reminder for my medication", does not end it). Public for the
        benchmarks that choose the soft gates.
        """
        text = question[:_MAX_QUESTION_CHARS]
        if self._norm.injected(text):
            return []
        words = self._features.words(text)
        if not words:
            return []
        columns, values = self._features.vector(words, text)
        logits = self._coef[:, columns] @ values + self._intercept
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        probs = (1 - self._blend) * probs + self._blend * self._neighbours.probabilities(text)
        # a blocked word declines only when the question leans that way too ("a neck cream" is
        # about the neck, "yoga moves for the face and neck" about the moves), and not in an
        # in-scope question about the bot: a reminder for one's medication is about reminders
        order = np.argsort(-probs)
        p_none = 1.0 if self._none is None else float(probs[self._none])
        entries = (self._classes[int(i)] for i in order if self._classes[int(i)] != _NONE)
        about_bot = p_none < self._gate.max_none and self._by_id[next(entries)].about_bot
        if (
            p_none >= self._blocked_max_none
            and not about_bot
            and self._norm.is_blocked(words.split())
        ):
            return []
        return [(self._classes[int(i)], float(probs[int(i)])) for i in order]

    def _match(self, question: str) -> FaqEntry | None:
        """Return the entry the classifier is confident about, or None when a gate declines."""
        best = self._gate.pick(self.scores(question))
        return None if best is None else self._by_id[best]


def gate_of(model: dict[str, Any]) -> Gate:
    """Return the gate set under ``classifier`` in ``faq.json``."""
    return Gate(
        float(model["max_none"]),
        float(model["min_prob"]),
        float(model["min_margin"]),
        float(model.get("sure_none", 0.0)),
        float(model.get("sure_prob", 1.0)),
    )


def _longest_by_first(table: dict[tuple[str, ...], tuple[str, ...]]) -> dict[str, int]:
    """Map each phrase's first word to the length of the longest phrase starting with it."""
    longest: dict[str, int] = {}
    for phrase in table:
        if phrase:
            longest[phrase[0]] = max(longest.get(phrase[0], 0), len(phrase))
    return longest


def _bigrams(text: str) -> list[str]:
    """Adjacent pairs of space-separated tokens."""
    tokens = text.split()
    return [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def _raw_text(text: str) -> str:
    """Lower-case ASCII words of ``text``, space-joined, for the character n-grams."""
    return " ".join(_raw_tokens(text[:_MAX_QUESTION_CHARS]))


def read_examples(text: str) -> list[tuple[str, str]]:
    """Parse labelled training rows: ``question<TAB>entry id or none``, ``#`` comments."""
    rows: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            question, label = line.split("\t")[:2]
            rows.append((question, label.strip()))
    return rows


@lru_cache(maxsize=1)
def _load_packaged() -> FaqIndex:
    """Build the index from ``bot/data/faq.json`` and ``bot/data/faq_train.tsv``."""
    data = resources.files("bot").joinpath("data")
    kb = cast(dict[str, Any], json.loads(data.joinpath("faq.json").read_text(encoding="utf-8")))
    examples = read_examples(data.joinpath("faq_train.tsv").read_text(encoding="utf-8"))
    return FaqIndex(kb, examples)


def valid_slug(entry_id: str) -> bool:
    """Return True when ``entry_id`` fits Telegram callback data ``faq:<id>``."""
    return _SLUG.fullmatch(entry_id) is not None
