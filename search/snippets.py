"""A readable snippet of the passage that matched, with the query's words highlighted."""

from __future__ import annotations

import html
import re

from models.text import STOPWORDS, lemma, normalise, term_of, terms

_WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+(?:-[0-9A-Za-zА-Яа-яЁё]+)*")


def highlight(passage: str, query: str, width: int = 320, tag: str = "mark") -> str:
    """HTML-escaped passage (cut to about ``width`` characters around the first match) in which
    every word sharing an index term with the query is wrapped in ``<mark>``."""
    wanted = set(terms(query))

    def hit(word: str) -> bool:
        lm = lemma(normalise(word))
        return lm not in STOPWORDS and term_of(lm) in wanted

    matches = [m for m in _WORD.finditer(passage) if hit(m.group(0))]
    start, end = 0, len(passage)
    if len(passage) > width:
        first = matches[0].start() if matches else 0
        start = max(0, first - width // 4)
        end = min(len(passage), start + width)
        # do not cut words in half
        while start > 0 and passage[start - 1].isalnum():
            start -= 1
        while end < len(passage) and passage[end].isalnum():
            end += 1
    out, pos = [], start
    for m in matches:
        if m.start() < start or m.end() > end:
            continue
        out.append(html.escape(passage[pos : m.start()]))
        out.append(f"<{tag}>{html.escape(m.group(0))}</{tag}>")
        pos = m.end()
    out.append(html.escape(passage[pos:end]))
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    return ("…" if start > 0 else "") + text + ("…" if end < len(passage) else "")
