"""The first-stage pool the ranker reorders: the union of BM25, dense and hybrid (and `like` for provisions).

`search_pool(searcher, query, filters, depth)` and `like_pool(searcher, provision_id, filters, depth)` return
`Results` whose hits carry every first-stage retriever's score and rank in `Hit.scores` / `Hit.ranks`
(a retriever that did not return a candidate has no entry: the features read that as "not found").
"""

from __future__ import annotations

POOL_DEPTH = 100  # candidates each first-stage retriever contributes
