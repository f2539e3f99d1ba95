"""The sources catalogue (`sources.csv`): one row per document, facts only, never the text."""
