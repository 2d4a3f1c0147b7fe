"""tap-domo: identity, config schema and stream registry."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th


class TapDomo(Tap):
    """Singer tap for Domo DataSets."""

    name = "tap-domo"
    config_jsonschema = th.PropertiesList(
        th.Property("client_id", th.StringType, required=True, title="Client ID"),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        """Return one stream per configured DataSet."""
        return []
