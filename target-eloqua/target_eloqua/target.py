"""target-eloqua: identity, config schema and default sink."""

from __future__ import annotations

from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink
from singer_sdk.target_base import Target


class EloquaSink(BatchSink):
    """Placeholder sink replaced by the real one."""

    def process_batch(self, context: dict) -> None:
        """Write a batch."""
        raise NotImplementedError


class TargetEloqua(Target):
    """Singer target for Oracle Eloqua custom objects."""

    name = "target-eloqua"
    config_jsonschema = th.PropertiesList(
        th.Property("company", th.StringType, required=True, title="Company"),
    ).to_dict()
    default_sink_class = EloquaSink
