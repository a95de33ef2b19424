"""Split a decision into passages: by paragraph, short paragraphs merged, long ones cut into
overlapping windows that fit the encoder's token limit."""

from __future__ import annotations

import re

from search.types import Passage

# e5's limit is 512 tokens; Russian runs at about 1.7 tokens a word, so 200 words leave room
# for the "passage: " prompt and long words.
MAX_WORDS = 200
OVERLAP_WORDS = 40
MIN_WORDS = 25  # shorter paragraphs are merged with the next one

_PARA = re.compile(r"\n\s*\n|\r\n\s*\r\n")
_WORD = re.compile(r"\S+")


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _PARA.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _windows(text: str, a: int, b: int, max_words: int, overlap: int) -> list[tuple[int, int]]:
    words = [(m.start() + a, m.end() + a) for m in _WORD.finditer(text[a:b])]
    if len(words) <= max_words:
        return [(a, b)]
    out, step = [], max_words - overlap
    for i in range(0, len(words), step):
        chunk = words[i : i + max_words]
        out.append((chunk[0][0], chunk[-1][1]))
        if i + max_words >= len(words):
            break
    return out


def chunk_text(
    decision_id: str,
    text: str,
    max_words: int = MAX_WORDS,
    overlap: int = OVERLAP_WORDS,
    min_words: int = MIN_WORDS,
) -> list[Passage]:
    """Passages covering the whole text, in order, each with its character span."""
    spans: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for a, b in _paragraph_spans(text):
        if pending is not None:
            a = pending[0]  # merge a short paragraph into this one
            pending = None
        n = len(_WORD.findall(text[a:b]))
        if n < min_words:
            pending = (a, b)
            continue
        spans.extend(_windows(text, a, b, max_words, overlap))
    if pending is not None:
        if spans and len(_WORD.findall(text[spans[-1][0] : pending[1]])) <= max_words:
            spans[-1] = (spans[-1][0], pending[1])
        else:
            spans.extend(_windows(text, *pending, max_words, overlap))
    return [Passage(decision_id, i, text[a:b].strip(), a, b) for i, (a, b) in enumerate(spans)]
