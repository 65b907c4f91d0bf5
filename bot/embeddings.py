"""Sentence embeddings for the FAQ, read offline from the ``wordllama`` wheel.

Kept apart from ``bot.faq`` so that loading them needs neither scikit-learn nor the classifier.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
import scipy.sparse as sp
from safetensors import safe_open
from tokenizers import Tokenizer

__all__ = ["Embedder", "embedder"]


class Embedder:
    """Sentence meaning across words: WordLlama's static token embeddings, average-pooled.

    Two questions that share no word ("how long until I see results", "when will my face look
    better") still land near each other, which word and character n-grams cannot give. The
    256-d model (token embeddings taken from Llama 2, trained for sentence similarity) ships in
    the ``wordllama`` wheel; inference is a look-up and a mean, so it is read straight from the
    wheel's files rather than through ``WordLlama.load()``: that looks for the tokenizer in a
    folder the wheel does not have and then downloads it, and importing the package at all
    pulls in ``requests`` and calls ``logging.basicConfig`` on the bot's root logger.
    """

    def __init__(self) -> None:
        spec = importlib.util.find_spec("wordllama")  # locates the wheel without importing it
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the wordllama package is not installed")
        root = Path(next(iter(spec.submodule_search_locations)))
        with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), "np") as f:
            self._table = np.asarray(f.get_tensor("embedding.weight"), dtype=np.float32)
        self._tokenizer = Tokenizer.from_file(
            str(root / "tokenizers" / "l2_supercat_tokenizer_config.json")
        )
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit-length 256-d row per text (zeros for a text with no tokens)."""
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ids = [enc.ids for enc in encoded]
        if len(ids) == 1 and ids[0]:  # a question: a sparse matrix costs more than the mean
            one = self._table[np.asarray(ids[0], dtype=np.int64)].mean(axis=0, keepdims=True)
            return cast(np.ndarray, one / max(float(np.linalg.norm(one)), 1e-6))
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        # the means as one sparse product (a row of 1/length weights per text): a mean per text
        # took a third of the time of embedding the training rows at start-up
        mean = sp.csr_matrix(
            (
                np.repeat(1.0 / np.maximum(lengths, 1), lengths).astype(np.float32),
                np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64),
                np.concatenate([[0], np.cumsum(lengths)]),
            ),
            shape=(len(ids), self._table.shape[0]),
        )
        out = np.asarray(mean @ self._table, dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    """Load the embedding table once per process (about 0.1 s)."""
    return Embedder()
