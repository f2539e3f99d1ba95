"""index/: embeds provisions, keeps dense (FAISS) and lexical (BM25) indexes, searches and matches them."""
