"""Personal data out of logs: passport numbers, ИНН, СНИЛС, accounts, cards, phones and names are
replaced by a mask that keeps only what is needed to tell records apart (the last two digits)."""

from __future__ import annotations

import re

_DIGITS = re.compile(
    r"""
    (?<![\w])
    (?:
        \+?[78][\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}   # phone
      | \d{4}\s?\d{6}                                          # passport series and number
      | \d{3}-\d{3}-\d{3}[\s-]\d{2}                            # СНИЛС
      | \d{2}\s\d{2}\s\d{6}                                    # passport written 45 12 123456
      | \d{10,20}                                              # ИНН, ОГРН, accounts, cards
      | \d{4}(?:[\s-]\d{4}){3}                                 # card in groups
    )
    (?![\w])
    """,
    re.VERBOSE,
)
_CAP = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
# Surname Name Patronymic, or Surname with initials (Иванов И.И. / И.И. Иванов).
_NAME = re.compile(
    rf"(?<![\w]){_CAP}\s+{_CAP}\s+[А-ЯЁ][а-яё]+(?:вич|вна|ична|чна|ич|оглы|кызы)(?![\w])"
    rf"|(?<![\w]){_CAP}\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.(?![\w])"
    rf"|(?<![\w])[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?{_CAP}(?![\w])"
)


def _mask_digits(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask(text: str) -> str:
    """``text`` with identifiers, phones and full names masked; other text unchanged."""
    if not text:
        return text
    text = _NAME.sub("[ФИО]", text)
    return _DIGITS.sub(_mask_digits, text)
