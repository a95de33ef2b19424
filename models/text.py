"""The shared Russian text normaliser and lemmatiser used by every lexical component."""

from __future__ import annotations

import functools
import re
import unicodedata

_TOKEN_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")

# Function words that carry no topic; kept short on purpose (negations stay: "не согласен" matters).
STOPWORDS = frozenset(
    """а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже
    для до его ее ей ему если есть еще же за и из или им их к как ко когда кто ли либо мне мной
    мы на над наш о об однако он она они оно от по под при с со так также такой там те то того
    тоже той только том ту у уже чем что чтобы эта эти это этого этой этом я""".split()
)


def normalise(text: str) -> str:
    """NFKC, lower case, ё→е, one space between words: the form every lexical index sees."""
    # "№" would become "no" under NFKC: a noise token for every lexical index.
    text = unicodedata.normalize("NFKC", text.replace("№", " ")).lower().replace("ё", "е")
    return _SPACE_RE.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Words and numbers of the normalised text, punctuation dropped."""
    return _TOKEN_RE.findall(normalise(text))


@functools.cache
def morph_analyzer():
    """pymorphy3's Russian analyser, loaded once (dictionaries take a second)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@functools.lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Normal form of one (already normalised) word; non-Cyrillic tokens come back unchanged."""
    if not re.search("[а-я]", word):
        return word
    return morph_analyzer().parse(word)[0].normal_form.replace("ё", "е")


def lemmas(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Lemmas of the text in order, e.g. "выплаты", "выплату" and "выплатой" all become "выплата"."""
    out = [lemma(t) for t in tokens(text)]
    if drop_stopwords:
        out = [t for t in out if t not in STOPWORDS]
    return out


@functools.cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("russian")


@functools.lru_cache(maxsize=200_000)
def term_of(lemma_: str) -> str:
    """The index term of a lemma: its Snowball stem, so that a noun and its verb meet
    ("выплата", "выплатить" -> "выплат")."""
    return _stemmer().stemWord(lemma_)


def terms(text: str) -> list[str]:
    """Index terms of a text for lexical retrieval: stems of lemmas, function words dropped."""
    return [term_of(lm) for lm in lemmas(text)]
