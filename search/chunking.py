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


# A sentence ends at . ! ? or … followed by a space and a capital letter, a digit or an opening
# quote, unless the word before the stop is a short abbreviation ("ст.", "п.", "г.", "руб.") or an
# initial ("К.В. Корнеев").
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(А-ЯЁA-Z0-9])")
_ABBREVIATION = re.compile(r"(?:^|[\s.])(?:[а-яёa-z]{1,3}|[А-ЯЁA-Z]|руб|коп|тыс|млн|др|т\.е|т\.д|им)\.$")
SENTENCE_MAX_WORDS = 60
#: What the decision index's passages are; an index made with another scheme is re-chunked.
CHUNKING = "sentences-1"
SENTENCE_MIN_WORDS = 4  # a shorter sentence ("УСТАНОВИЛ:", "РЕШЕНИЕ") joins the next one


def _sentence_spans(text: str, a: int, b: int) -> list[tuple[int, int]]:
    spans, start = [], a
    for m in _SENTENCE_END.finditer(text, a, b):
        if _ABBREVIATION.search(text, start, m.start()):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, b))
    return [(x, y) for x, y in spans if text[x:y].strip()]


def chunk_sentences(
    decision_id: str,
    text: str,
    max_words: int = SENTENCE_MAX_WORDS,
    min_words: int = SENTENCE_MIN_WORDS,
) -> list[Passage]:
    """Passages of one sentence each (a short one joined to the next, a long one cut into
    overlapping windows), covering the whole text in order.

    A decision states its dispute in one sentence among many of standard wording; embedded
    alone, that sentence keeps its meaning instead of being averaged into a paragraph's."""
    spans: list[tuple[int, int]] = []
    pending: int | None = None
    for pa, pb in _paragraph_spans(text):
        for a, b in _sentence_spans(text, pa, pb):
            if pending is not None:
                a, pending = pending, None
            if len(_WORD.findall(text[a:b])) < min_words:
                pending = a
                continue
            spans.extend(_windows(text, a, b, max_words, max_words // 5))
    if pending is not None:
        if spans:
            spans[-1] = (spans[-1][0], len(text.rstrip()))
        else:
            spans.append((pending, len(text.rstrip())))
    return [Passage(decision_id, i, text[a:b].strip(), a, b) for i, (a, b) in enumerate(spans)]
