"""bench/: benchmarks run on demand (`crosswalk bench ...`); tests never assert on wall-clock time."""
