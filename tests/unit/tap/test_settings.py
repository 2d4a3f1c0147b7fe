from __future__ import annotations

import pytest
from tap_domo.datasets import DataSetInfo, snake_case, stream_names
from tap_domo.errors import SettingsError
from tap_domo.settings import DataSetRef, read_settings

GUID = "08a061e2-12a2-4646-b4bc-20beddb403e3"
GUID2 = "18a061e2-12a2-4646-b4bc-20beddb403e3"


def config(**extra):
    return {"client_id": "c", "client_secret": "s", "datasets": [{"id": GUID}], **extra}


def test_defaults():
    settings = read_settings(config())
    assert settings.read_method == "auto"
    assert settings.page_size == 100_000
    assert settings.request_timeout == 300.0
    assert settings.csv_empty_string_is_null is True
    assert settings.start_batch_id is None
    assert settings.datasets == (DataSetRef(GUID, None),)


@pytest.mark.parametrize("size", [1_000_000, 0, -1, 2_000_000, "10", 1.5])
def test_page_size_must_stay_under_cap(size):
    with pytest.raises(SettingsError) as info:
        read_settings(config(page_size=size))
    assert str(info.value) == (
        f'setting "page_size" is {size!r}, but the Domo query API returns at most 1,000,000 rows '
        "per query: set it to a whole number from 1 to 999,999 (default 100,000)"
    )


def test_page_size_max_allowed():
    assert read_settings(config(page_size=999_999)).page_size == 999_999


def test_start_batch_id_integral():
    assert read_settings(config(start_batch_id=410.0)).start_batch_id == 410
    assert type(read_settings(config(start_batch_id=410.0)).start_batch_id) is int


def test_bad_read_method_and_timeout():
    with pytest.raises(SettingsError, match="\"read_method\" is 'fast'"):
        read_settings(config(read_method="fast"))
    with pytest.raises(SettingsError, match='"request_timeout" is 0'):
        read_settings(config(request_timeout=0))


def test_malformed_guid():
    with pytest.raises(SettingsError, match="is not a Domo DataSet id"):
        read_settings(config(datasets=[{"id": "not-a-guid"}]))


def test_duplicates_refused():
    with pytest.raises(SettingsError) as info:
        read_settings(config(datasets=[{"id": GUID}, {"id": GUID.upper()}]))
    assert str(info.value) == (
        f'setting "datasets" lists DataSet id {GUID!r} twice: each entry must be unique'
    )
    with pytest.raises(SettingsError, match="uses stream_name 'x' twice"):
        read_settings(
            config(datasets=[{"id": GUID, "stream_name": "x"}, {"id": GUID2, "stream_name": "x"}])
        )


def test_bad_stream_name():
    with pytest.raises(SettingsError, match="stream_name 'a b' is not valid"):
        read_settings(config(datasets=[{"id": GUID, "stream_name": "a b"}]))


def test_empty_datasets():
    with pytest.raises(SettingsError, match='"datasets" is missing or empty'):
        read_settings(config(datasets=[]))


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("Timeline Feed", "timeline_feed"),
        ("Sales (EU) 2024", "sales_eu_2024"),
        ("salesByRegion", "sales_by_region"),
        ("Café Ünïcode", "cafe_unicode"),
        ("2024 Orders", "dataset_2024_orders"),
        ("%%%", ""),
    ],
)
def test_snake_case(name, snake):
    assert snake_case(name) == snake


def info(name, guid=GUID):
    return DataSetInfo(id=guid, name=name, columns=(), pdp_enabled=False, rows=0)


def test_stream_names_unique():
    pairs = [
        (DataSetRef(GUID, None), info("Orders")),
        (DataSetRef(GUID2, None), info("orders", GUID2)),
        (DataSetRef("28a061e2-12a2-4646-b4bc-20beddb403e3", "orders_3"), info("x")),
        (DataSetRef("38a061e2-12a2-4646-b4bc-20beddb403e3", None), info("***")),
    ]
    assert stream_names(pairs) == ["orders", "orders_2", "orders_3", "dataset_08a061e2"]
