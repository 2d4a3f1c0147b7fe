"""Emulator of the Eloqua API (login /id, Bulk API 2.0 imports and syncs, REST data)."""
