"""The document-type texts: every family is its own wording, and a family of several kinds draws
each of them, so holding out a family holds out every kind in it."""

from __future__ import annotations

from collections import defaultdict

from ingest.doctypes import title_line
from synth.doctypes import N_FAMILIES, generate_doctype_texts


def test_families_hold_their_own_kinds_and_share_no_title():
    records = generate_doctype_texts(seed=3, per_family=40)
    assert records == generate_doctype_texts(seed=3, per_family=40)  # same seed, same texts
    kinds = defaultdict(set)
    titles = defaultdict(set)
    for r in records:
        kinds[r["doc_type"], r["family"]].add(r["kind"])
        # the title with its numbers and names stripped: the wording, not the slot fillers
        titles[r["doc_type"], r["family"]].add(
            " ".join(w for w in title_line(r["text"]).lower().split()[:2] if w.isalpha())
        )
    for family in range(N_FAMILIES):
        assert kinds["other", family] == {0, 1, 2, 3}
        assert kinds["contract", family] == {0, 1}
        assert kinds["passport", family] == {0}
    # no title wording of one "other" family comes back in another: a held-out family is unseen
    other = [titles["other", f] for f in range(N_FAMILIES)]
    for i in range(N_FAMILIES):
        for j in range(i + 1, N_FAMILIES):
            assert not (other[i] & other[j]), (i, j, other[i] & other[j])


def test_the_later_families_are_new_wordings_and_leave_the_first_six_alone(monkeypatch):
    """Families 6 and 7 (synth/doctype_families.py) reuse no title of families 0-5 of their type,
    and families 0-5 read the same with the later families gone: their random streams are untouched,
    so figures measured on them before the later families existed stay comparable."""
    from synth import doctype_families, doctypes

    records = generate_doctype_texts(seed=4, per_family=30)
    assert {r["family"] for r in records} == set(range(N_FAMILIES)) and N_FAMILIES == 8
    titles = defaultdict(set)
    for r in records:  # the first four words of the title, names and numbers aside
        words = title_line(r["text"]).lower().replace("-", " ").split()[:4]
        titles[r["doc_type"], r["family"] >= 6].add(" ".join(w for w in words if w.isalpha()))
    for doc_type in {r["doc_type"] for r in records}:
        assert not (titles[doc_type, True] & titles[doc_type, False]), doc_type

    for table in (doctype_families.FAMILIES, doctype_families.MORE_KINDS):
        for doc_type in table:
            monkeypatch.setitem(table, doc_type, lambda c: [])
    monkeypatch.setattr(doctypes, "N_FAMILIES", 6)
    first_six = [r for r in records if r["family"] < 6]
    assert [r["text"] for r in generate_doctype_texts(seed=4, per_family=30)] == [r["text"] for r in first_six]
