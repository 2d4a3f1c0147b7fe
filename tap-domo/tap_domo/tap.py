"""tap-domo: identity, config schema and stream registry."""

from __future__ import annotations

from functools import cached_property

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_domo.client import DomoClient
from tap_domo.datasets import describe, stream_names
from tap_domo.settings import (
    DEFAULT_API_URL,
    DEFAULT_PAGE_SIZE,
    DEFAULT_REQUEST_TIMEOUT,
    Settings,
    read_settings,
)
from tap_domo.streams import DataSetStream
from tap_domo.writer import BufferedWriter


class TapDomo(Tap):
    """Singer tap for Domo DataSets, incremental on `_BATCH_ID_`."""

    name = "tap-domo"
    # msgspec writes Decimal as an exact JSON number (decimal_format="number"); RECORD lines
    # are buffered until the next STATE (see BufferedWriter); each stream flushes at its end.
    message_writer_class = BufferedWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            title="Client ID",
            description="Domo API client ID (Domo Admin > Authentication > API Clients).",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client Secret",
            description="Domo API client secret.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            title="API URL",
            description="Root of the Domo platform API; tests and the sandbox point it elsewhere.",
        ),
        th.Property(
            "datasets",
            th.ArrayType(
                th.ObjectType(
                    th.Property(
                        "id",
                        th.StringType,
                        required=True,
                        title="DataSet ID",
                        description="The DataSet's GUID.",
                    ),
                    th.Property(
                        "stream_name",
                        th.StringType,
                        title="Stream Name",
                        description="Stream name; defaults to the DataSet's name in snake_case.",
                    ),
                )
            ),
            required=True,
            title="DataSets",
            description='DataSets to read: items {"id": "<GUID>", "stream_name": "<optional>"}.',
        ),
        th.Property(
            "start_batch_id",
            # A numeric string too: meltano.yml declares it a string, since Meltano cannot
            # serialise the Decimal a `kind: decimal` setting read from the environment becomes.
            th.CustomType({"type": ["number", "string"]}),
            title="Start Batch ID",
            description="First run only: read rows whose _BATCH_ID_ is greater than this.",
        ),
        th.Property(
            "read_method",
            th.StringType,
            default="auto",
            allowed_values=["auto", "query", "export"],
            title="Read Method",
            description=(
                "query: the query API (filtered on the server, paged); export: the CSV export "
                "(streamed); auto: export for a first full load and for DataSets without "
                "_BATCH_ID_, query for increments."
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=DEFAULT_PAGE_SIZE,
            title="Page Size",
            description="Rows per query page; must stay under the query API's 1,000,000-row cap.",
        ),
        th.Property(
            "request_timeout",
            th.CustomType({"type": ["number", "string"]}),  # a numeric string too, as above
            default=DEFAULT_REQUEST_TIMEOUT,
            title="Request Timeout",
            description="Per-request read timeout in seconds (the connect timeout is 10 s).",
        ),
        th.Property(
            "csv_empty_string_is_null",
            th.BooleanType,
            default=True,
            title="CSV Empty String Is Null",
            description=(
                "CSV export only: read an empty STRING field as null (the export cannot tell an "
                "empty string from a null). \\N is always null."
            ),
        ),
    ).to_dict()

    @cached_property
    def settings(self) -> Settings:
        """The validated settings."""
        return read_settings(self.config)

    @cached_property
    def domo(self) -> DomoClient:
        """The Domo client (one session and one token for every stream)."""
        return DomoClient(
            client_id=self.config["client_id"],
            client_secret=self.config["client_secret"],
            api_url=self.settings.api_url,
            request_timeout=self.settings.request_timeout,
        )

    def discover_streams(self) -> list[Stream]:
        """One stream per configured DataSet, its schema read from Domo.

        Returns:
            The streams, in config order.
        """
        refs = self.settings.datasets
        infos = [describe(self.domo, ref) for ref in refs]
        names = stream_names(zip(refs, infos, strict=True))
        return [
            DataSetStream(self, name=name, info=info, client=self.domo, settings=self.settings)
            for name, info in zip(names, infos, strict=True)
        ]
