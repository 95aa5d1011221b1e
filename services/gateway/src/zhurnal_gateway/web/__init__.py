"""Web pages (issue 6)."""
