"""`pii-guard classify`: proposals for columns no yml classifies yet.

One stage per module, each a plain function of the last one's output:

- columns.py: which columns of which relations are unclassified (manifest, catalog)
- names.py: what a column's name says (tokens, abbreviations, false friends)
- values.py: what sampled values say (shares of emails, phones, SSNs, ...)
- sample.py: reading up to N rows per relation (DuckDB file, or the dbt profile)
- propose.py: one proposal per column from both, with a confidence
- patch.py: the yml patch (a unified diff) that declares the proposals
- report.py: the text, JSON and patch renderings
"""

from __future__ import annotations

from pii_guard.classify.pipeline import classify

__all__ = ["classify"]
