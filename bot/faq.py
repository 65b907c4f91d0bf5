"""Answer free-text questions from the one article the bot is built on, or decline.

Users type questions in their own words, with typos and slang, and some of them are about
things the article never covers (other supplements, other bones, other treatments) or are not
questions at all (chit-chat, prompt injection). Inventing an answer there would be worse than
saying nothing, so the engine is a closed-book retriever over hand-written answers in
``bot/data/faq.json``: text is normalised (typo correction with rapidfuzz, Snowball stemming, a
small synonym and phrase table, and intent patterns that add a token for what kind of thing is
asked: an upper limit, an age, which foods or moves, how soon, the source), entries are ranked
with BM25 (bm25s), and an answer is given
only when the query names no blocked topic, is mostly made of words the knowledge base knows,
contains one of the chosen entry's key terms and scores above a threshold. Everything is built
in memory from package data at start-up; nothing is downloaded and nothing leaves the process.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

import bm25s
import bm25s.stopwords
import numpy as np
import snowballstemmer  # type: ignore[import-untyped]
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

__all__ = ["MAX_MESSAGE_CHARS", "FaqEntry", "FaqIndex"]

MAX_MESSAGE_CHARS = 1500
"""Longest free-text message answered; a real message can ask three things in 560 characters."""
_MAX_QUESTION_CHARS = 500
_MAX_PARTS = 3
_PARTS = re.compile(
    r"(?<=[?!.;])\s+|\n+|\s+(?:and also|also|plus|and what about|what about)\s+"
    r"|,\s+(?:and|but)\s+(?=(?:if|is|are|does|do|can|will|would|should|how|what|when|why)\b)"
)
_BLOCKED = "\x00blocked"
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


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question the bot can answer, with its answer in the bot's own words."""

    id: str
    topic: str
    question: str
    answer: str
    about_bot: bool


@dataclass(frozen=True, slots=True)
class _Rules:
    """The normalisation tables from the JSON, compiled for lookup."""

    stopwords: frozenset[str]
    keep_words: frozenset[str]
    surface_syn: dict[str, str]
    stem_syn: dict[str, str]
    phrases_raw: dict[tuple[str, ...], tuple[str, ...]]
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    blocked: frozenset[str]
    injection: tuple[re.Pattern[str], ...]
    known_by_initial: dict[str, list[str]]
    known_surface: frozenset[str]
    known_stems: frozenset[str]


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
        self._intents = tuple(
            (re.compile(pattern), _BLOCKED if token == "blocked" else token)
            for token, patterns in data["intents"].items()
            for pattern in patterns
        )
        self._max_raw = max(len(k) for k in self._phrases_raw)
        self._max_phrase = max(len(k) for k in self._phrases)
        self._injection = tuple(
            re.compile(pattern, re.IGNORECASE) for pattern in data["injection_patterns"]
        )
        known: set[str] = set(stopwords) | set(surface_syn)
        for entry in data["entries"]:
            for text in (entry["question"], entry["topic"], *entry["phrasings"]):
                known.update(_raw_tokens(text))
            for group in entry["require"]:
                known.update(group)
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
        """Fix a likely typo against the known vocabulary (same first letter, 1-2 edits)."""
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
        return word if found is None else found[0]

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
        words: Sequence[str], table: dict[tuple[str, ...], tuple[str, ...]], longest: int
    ) -> list[str]:
        """Replace the longest matching phrases from ``table``, left to right."""
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
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


class FaqIndex:
    """A BM25 index over the knowledge base, with the gates that make it decline."""

    def __init__(self, data: dict[str, Any]) -> None:
        """Build the index from the parsed ``faq.json`` document."""
        self._norm = _Normaliser(data)
        self._threshold = float(data["threshold"])
        self._max_unknown_share = float(data.get("max_unknown_share", 0.5))
        self._max_unknown = int(data.get("max_unknown", 1))
        entries: list[FaqEntry] = []
        docs: list[list[str]] = []
        requires: list[list[frozenset[str]]] = []
        excludes: list[frozenset[str]] = []
        for raw in data["entries"]:
            entry = FaqEntry(
                id=raw["id"],
                topic=raw["topic"],
                question=raw["question"],
                answer=raw["answer"],
                about_bot=bool(raw["about_bot"]),
            )
            entries.append(entry)
            doc: list[str] = []
            for text in (entry.question, entry.topic, *raw["phrasings"]):
                doc.extend(self._norm.tokens(text))
            groups: list[frozenset[str]] = []
            for group in raw["require"]:
                canon = {t for word in group for t in self._norm.tokens(word)}
                canon.update(word for word in group if word.isalpha())
                groups.append(frozenset(canon))
                doc.extend(sorted(canon))
            requires.append(groups)
            excludes.append(
                frozenset(t for w in raw.get("exclude", []) for t in self._norm.tokens(w))
            )
            docs.append(doc)
        self._entries = entries
        self._by_id = {e.id: e for e in entries}
        self._requires = requires
        self._excludes = excludes
        self._vocab = frozenset(t for doc in docs for t in doc)
        params = data.get("bm25", {})
        self._bm25 = bm25s.BM25(k1=float(params.get("k1", 1.5)), b=float(params.get("b", 0.75)))
        self._bm25.index(docs, show_progress=False)
        self._topic_ids: list[str] = list(data["topics"])

    @classmethod
    def load(cls) -> FaqIndex:
        """Build the index from the ``bot/data/faq.json`` package resource."""
        text = resources.files("bot").joinpath("data/faq.json").read_text(encoding="utf-8")
        return cls(cast(dict[str, Any], json.loads(text)))

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
        face change? And can I take too much calcium?" gets two answers; when no sentence is
        enough on its own, the whole message is matched instead.
        """
        text = message[:MAX_MESSAGE_CHARS]
        parts = [p for p in _PARTS.split(text) if p and p.strip()]
        found: list[FaqEntry] = []
        if len(parts) > 1:
            for part in parts:
                match = self._match(part)
                if match is not None and match[0] not in found:
                    found.append(match[0])
        if not found:
            whole = self._match(text)
            if whole is not None:
                found.append(whole[0])
        return found[:_MAX_PARTS]

    def _match(self, question: str) -> tuple[FaqEntry, float] | None:
        """Return the best entry and its BM25 score, or None when a gate declines."""
        text = question[:_MAX_QUESTION_CHARS]
        if self._norm.injected(text):
            return None
        tokens = self._norm.tokens(text)
        if not tokens or self._norm.is_blocked(tokens):
            return None
        unique = list(dict.fromkeys(tokens))
        known = [t for t in unique if t in self._vocab]
        unknown = len(unique) - len(known)
        if (
            not known
            or unknown > self._max_unknown
            or unknown > self._max_unknown_share * len(unique)
        ):
            return None
        present = frozenset(known)
        scores = np.asarray(self._bm25.get_scores(known), dtype=np.float64)
        best: int | None = None
        for i in np.argsort(-scores):
            idx = int(i)
            if self._excludes[idx] & present:
                continue
            if all(group & present for group in self._requires[idx]):
                best = idx
                break
        if best is None or scores[best] < self._threshold:
            return None
        return self._entries[best], float(scores[best])


def valid_slug(entry_id: str) -> bool:
    """Return True when ``entry_id`` fits Telegram callback data ``faq:<id>``."""
    return _SLUG.fullmatch(entry_id) is not None
