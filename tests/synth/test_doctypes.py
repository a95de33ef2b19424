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


def test_the_later_families_are_new_wordings_and_leave_the_earlier_ones_alone(monkeypatch):
    """Each later batch of families (6-7 in synth/doctype_families.py, 8-9 in
    synth/doctype_families89.py, 10-11 in synth/doctype_families1011.py, 12-13 in
    synth/doctype_families1213.py) reuses no title of the families before it of its type, and the
    earlier families read the same with a later batch gone: their random streams are untouched, so
    figures measured on them before the batch existed stay comparable."""
    from synth import doctype_families, doctype_families89, doctype_families1011, doctype_families1213, doctypes

    records = generate_doctype_texts(seed=4, per_family=30)
    assert {r["family"] for r in records} == set(range(N_FAMILIES)) and N_FAMILIES == 14
    assert (range(6), range(6, 8), range(8, 10), range(10, 12), range(12, 14)) == doctypes.BATCHES
    titles = defaultdict(set)
    for r in records:  # the first four words of the title, names and numbers aside
        words = title_line(r["text"]).lower().replace("-", " ").split()[:4]
        batch = next(i for i, span in enumerate(doctypes.BATCHES) if r["family"] in span)
        titles[r["doc_type"], batch].add(" ".join(w for w in words if w.isalpha()))
    for doc_type in {r["doc_type"] for r in records}:
        for later in (1, 2, 3, 4):
            for earlier in range(later):
                assert not (titles[doc_type, later] & titles[doc_type, earlier]), (doc_type, later, earlier)

    for module in (doctype_families1213, doctype_families1011, doctype_families89, doctype_families):  # newest first
        for table in (module.FAMILIES, module.MORE_KINDS):
            for doc_type in table:
                monkeypatch.setitem(table, doc_type, lambda c: [])
        monkeypatch.setattr(doctypes, "N_FAMILIES", module.FIRST)
        before = [r["text"] for r in records if r["family"] < module.FIRST]
        assert [r["text"] for r in generate_doctype_texts(seed=4, per_family=30)] == before


def test_more_of_a_type_keeps_the_first_texts_and_marks_the_rest_train_only():
    """``per_type`` draws further along the same stream: the first ``per_family`` texts are the ones
    drawn without it, so scores on them stay comparable, and only the rest are ``train_only``."""
    base = generate_doctype_texts(seed=5, per_family=3, families=(0, 10))
    more = generate_doctype_texts(seed=5, per_family=3, families=(0, 10), per_type={"other": 6})
    assert [r for r in more if not r.get("train_only")] == base
    extra = [r for r in more if r.get("train_only")]
    assert {r["doc_type"] for r in extra} == {"other"} and len(extra) == 2 * 3
    assert {r["id"][-3:] for r in extra} == {"003", "004", "005"}
