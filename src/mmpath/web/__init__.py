"""The clinician web pages (server-rendered; see docs/web.md). The router is in ``routes``."""
