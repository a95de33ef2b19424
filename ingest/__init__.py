"""Ingest: from uploaded bytes to typed documents, fields and a package completeness report."""
