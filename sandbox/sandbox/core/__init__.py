"""Pieces shared by both emulators: the HTTP server, fault injection, the request log."""
