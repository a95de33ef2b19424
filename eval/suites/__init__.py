"""Evaluation suites by name; later stages register theirs here."""

from __future__ import annotations

from eval.base import Evaluator


def suites() -> dict[str, type[Evaluator]]:
    from eval.suites.baseline import BaselineSuite
    from eval.suites.categories import CategoriesSuite
    from eval.suites.data import DataSuite
    from eval.suites.ingest import CompletenessSuite, DocTypeSuite, FieldsSuite, OcrSuite
    from eval.suites.refund import RefundSuite
    from eval.suites.search import SearchSuite

    return {
        s.name: s
        for s in (
            DataSuite,
            BaselineSuite,
            SearchSuite,
            CategoriesSuite,
            RefundSuite,
            OcrSuite,
            DocTypeSuite,
            FieldsSuite,
            CompletenessSuite,
        )
    }
