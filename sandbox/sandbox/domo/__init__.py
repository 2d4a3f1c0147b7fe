"""Emulator of the Domo platform API (OAuth, DataSets, query, CSV export)."""
