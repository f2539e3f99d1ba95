"""evaluation/: scores retrieval against gold queries, qrels and cross-jurisdiction pairs."""
