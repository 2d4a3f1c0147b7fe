"""Serve an `ApiApp` on 127.0.0.1 in a background thread (werkzeug's threaded server)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.core.app import ApiApp


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print a line per request (the request log has them)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Stay quiet."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Only report server errors."""
        if type == "error":
            super().log(type, message, *args)


class ServerThread:
    """One emulator listening on 127.0.0.1:port (port 0 picks a free one)."""

    def __init__(self, app: ApiApp, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind the socket now, so `url` is known before `start()`."""
        self.app = app
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        # Do not let a slow client's handler thread keep the process alive at exit.
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"sandbox-{app.service}", daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.port)

    @property
    def url(self) -> str:
        """The root URL, without a trailing slash."""
        return f"http://{self._server.host}:{self.port}"

    def start(self) -> ServerThread:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
