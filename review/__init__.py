"""review/: reviewers' decisions on provision pairs (append-only) and the crosswalk they export."""
