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
