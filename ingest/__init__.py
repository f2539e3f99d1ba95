"""ingest/: turns publisher documents into cited, tagged provisions kept in the workspace store."""
