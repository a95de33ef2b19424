from __future__ import annotations

from collections import Counter

from synth.decisions import OUTCOMES, generate_decisions
from synth.generate import SIZES


def test_decisions_have_the_usual_parts_and_every_outcome():
    decisions, _ = generate_decisions(seed=1, n_decisions=200, n_queries=20)
    assert Counter(d.outcome for d in decisions).keys() == set(OUTCOMES)
    for d in decisions[:20]:
        for part in ("РЕШЕНИЕ", "Заявитель", "УСТАНОВИЛ:", "РЕШИЛ:", "В соответствии с"):
            assert part in d.text, part
        assert d.text.count("\n\n") >= 6  # several paragraphs
        assert d.organisation in d.text
    assert SIZES["full"]["decisions"] >= 5000


def test_queries_point_at_decisions_of_the_same_case():
    decisions, queries = generate_decisions(seed=2, n_decisions=300, n_queries=40)
    by_id = {d.id: d for d in decisions}
    for q in queries:
        target = by_id[q.target]
        assert q.target in q.relevant and q.category == target.category
        assert all(by_id[r].issue == target.issue and by_id[r].organisation == target.organisation for r in q.relevant)
        # A paraphrase, not a copy: the query shares few words with the decision's wording.
        shared = set(q.query.lower().split()) & set(target.text.lower().split())
        assert len(shared) < len(q.query.split()) * 0.6


def test_every_case_type_has_five_distinct_wordings():
    from synth.decision_content import DECISION_CATEGORIES
    from synth.decisions import paraphrase

    for category, spec in DECISION_CATEGORIES.items():
        for idx in range(len(spec["issues"])):
            wordings = [paraphrase(f"{category}/{idx}", family) for family in range(5)]
            assert len(set(wordings)) == 5 and all(w.strip() for w in wordings), (category, idx)
