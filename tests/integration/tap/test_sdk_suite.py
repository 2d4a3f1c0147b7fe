"""The SDK's standard tap tests against a seeded Domo emulator.

`get_tap_test_class` runs discovery while the module is collected, so this module starts its
own emulator and seeds it at import time (the session `domo` fixture is not available then).
"""

from __future__ import annotations

import atexit

from sandbox.core.server import ServerThread
from sandbox.domo.app import DomoApp
from sandbox.domo.client import DomoControl
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_domo.tap import TapDomo

_SERVER = ServerThread(DomoApp()).start()
atexit.register(_SERVER.stop)


def _seed() -> dict:
    control = DomoControl(_SERVER.url)
    control.reset()
    sales = control.create_dataset(
        "Sales",
        [("region", "STRING"), ("amount", "DECIMAL"), ("units", "LONG"), ("day", "DATE")],
        [["EU", "1.50", 3, "2024-01-01"], ["US", "2.25", 4, "2024-01-02"]],
    )
    control.append_load(sales, [["APAC", "3", 5, "2024-01-03"]])
    plain = control.create_dataset(
        "Plain", [("name", "STRING"), ("ratio", "DOUBLE")], [["a", 0.5]], batch_columns=False
    )
    return {
        "client_id": DomoControl.DEFAULT_CLIENT_ID,
        "client_secret": DomoControl.DEFAULT_CLIENT_SECRET,
        "api_url": _SERVER.url,
        "datasets": [{"id": sales}, {"id": plain, "stream_name": "plain"}],
    }


TestTapDomo = get_tap_test_class(
    TapDomo, config=_seed(), suite_config=SuiteConfig(max_records_limit=50)
)
