"""Recognise an organisation named in a query ("Совкомбанк", "ВТБ", "Билайн") among the
organisations of the stored decisions ("ПАО «Совкомбанк»", "Банк ВТБ (ПАО)", ...)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from models.text import morph_analyzer, normalise

LEGAL_FORMS = r"\b(пао|ао|ооо|зао|оао|спао|сао|кб|ск|мфк|мкк|нпф|кпк|скпк|ип|нко|ано)\b"
_LEGAL_ONLY = re.compile(rf"^(?:{LEGAL_FORMS[2:-2]})$")
_IN_WORD_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u2011](?=\w)")


def fold(text: str) -> str:
    """The form names are matched in: normalised, hyphens inside a word dropped ("Т-Банк" and
    "ТБанк" both read "тбанк")."""
    return _IN_WORD_HYPHEN.sub("", normalise(text))


def aliases(name: str) -> set[str]:
    """Ways a person names an organisation, folded: its quoted name, a brand in brackets, the name
    without legal forms ("Банк ВТБ (ПАО)" -> "банк втб", "втб"); a hyphenated name also with a
    space ("Альфа-Банк" -> "альфабанк", "альфа банк")."""
    out = {normalise(m) for m in re.findall(r"«([^«»]+)»", name)}
    out |= {normalise(m) for m in re.findall(r"\(([^()]+)\)", name) if not _LEGAL_ONLY.match(normalise(m))}
    base = normalise(re.sub(LEGAL_FORMS, " ", normalise(re.sub(r"\([^()]*\)|[«»\"]", " ", name))))
    if base:
        out.add(base)
        words = base.split()
        if len(words) == 2 and words[0] == "банк":
            out.add(words[1])  # "банк втб" -> "втб"
    out |= {_IN_WORD_HYPHEN.sub(" ", a) for a in out}  # "альфа-банк" also as "альфа банк"
    folded = {fold(a) for a in out}
    return {a for a in folded if len(a) >= 3}


_PROPER = {"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr"}


def ordinary_word(alias: str) -> bool:
    """Whether a one-word name is also an ordinary Russian word ("Согласие", "Доверие", "Открытие"):
    the dictionary knows it and never as a proper name, organisation or abbreviation. A word built on
    "банк" ("сбербанк") is a bank's name even where the dictionary lists it as a noun."""
    if " " in alias or "банк" in alias:
        return False
    morph = morph_analyzer()
    return morph.word_is_known(alias) and not any(_PROPER & set(p.tag.grammemes) for p in morph.parse(alias))


def _written_as_name(alias: str) -> re.Pattern:
    """The alias capitalised ("Согласие") or in quotes ("«согласие»"), in the original text."""
    body = "".join("[её]" if c == "е" else re.escape(c) for c in alias[1:])
    first = re.escape(alias[0].upper())
    return re.compile(rf"(?<!\w)(?:{first}(?i:{body})|[«\"“](?i:{re.escape(alias[0])}{body})[»\"”])(?!\w)")


class OrganisationNames:
    def __init__(self, names: Iterable[str]):
        self.by_alias: dict[str, set[str]] = {}
        for n in names:
            for a in aliases(n):
                self.by_alias.setdefault(a, set()).add(n)
        pattern = "|".join(re.escape(a) for a in sorted(self.by_alias, key=len, reverse=True))
        self._re = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)") if pattern else None
        # "дал согласие на списание" is not about СК «Согласие»: such names count only as names.
        self._as_name = {a: _written_as_name(a) for a in self.by_alias if ordinary_word(a)}

    def find(self, text: str) -> set[str]:
        """Stored organisation names mentioned in ``text``; a name that is also an ordinary word
        counts only where it is capitalised or quoted."""
        if self._re is None:
            return set()
        found = set()
        for m in self._re.finditer(fold(text)):
            alias = m.group(0)
            if alias not in self._as_name or self._as_name[alias].search(text):
                found |= self.by_alias[alias]
        return found
