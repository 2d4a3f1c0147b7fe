"""OAuth client-credentials authenticator for Domo: one token for all streams (domo-api.md §1)."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from singer_sdk.authenticators import OAuthAuthenticator

from tap_domo.errors import AuthenticationError, DomoApiError, RetriableError
from tap_domo.redact import remember
from tap_domo.retry import RetryPolicy, call_with_retries, retry_after_seconds

#: Refresh this long before `expires_in` runs out (domo-api.md §1.2).
REFRESH_MARGIN_SECONDS = 60.0
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret


class DomoAuthenticator(OAuthAuthenticator):
    """Client credentials (Basic auth, form body, scope ``data``), refreshed before expiry.

    A token rejected by a data call (401, or 406 on the CSV export) is dropped with
    `invalidate()`, and the next request fetches a new one.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        session: requests.Session,
        timeout: tuple[float, float],
        policy: RetryPolicy,
    ) -> None:
        super().__init__(
            auth_endpoint=api_url.rstrip("/") + TOKEN_PATH,
            oauth_scopes="data",
            client_id=client_id,
            client_secret=client_secret,
        )
        self.logger = logging.getLogger("tap-domo")
        self._http = session
        self._timeout = timeout
        self._policy = policy
        self._expires_at = 0.0
        self.tokens_fetched = 0

    @property
    def oauth_request_body(self) -> dict[str, Any]:
        """The token request's form body.

        Returns:
            ``grant_type=client_credentials&scope=data``.
        """
        return {"grant_type": "client_credentials", "scope": self.oauth_scopes}

    def is_token_valid(self) -> bool:
        """Whether the cached token has more than a minute left.

        Returns:
            True when the token can still be used.
        """
        return self.access_token is not None and time.monotonic() < self._expires_at

    def invalidate(self) -> None:
        """Forget the token: Domo rejected it; the next request fetches a new one."""
        self.access_token = None
        self._expires_at = 0.0

    def update_access_token(self) -> None:
        """Fetch a token, retrying transient failures.

        Raises:
            AuthenticationError: when Domo refuses the credentials.
        """
        self.logger.info("Requesting a Domo access token")
        started = time.monotonic()
        body = call_with_retries(
            self._request_token, self._policy, "Domo token request", self.logger
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthenticationError("Domo's token response carried no access_token")
        lifetime = float(body.get("expires_in") or 3600)
        self.access_token = token
        remember(token)
        self.expires_in = int(lifetime)
        self._expires_at = started + max(lifetime - REFRESH_MARGIN_SECONDS, 0.0)
        self.tokens_fetched += 1

    def _request_token(self) -> dict[str, Any]:
        response = self._http.post(
            self.auth_endpoint,
            data=self.oauth_request_body,
            # UTF-8 bytes: requests would encode str credentials as Latin-1 and fail on others.
            auth=HTTPBasicAuth(
                (self.client_id or "").encode("utf-8"), (self.client_secret or "").encode("utf-8")
            ),
            headers={"Accept": "application/json"},
            timeout=self._timeout,
        )
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetriableError(
                f"HTTP {status} at {TOKEN_PATH}",
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status in (400, 401, 403):
            raise AuthenticationError(
                f"Domo refused the client credentials (HTTP {status} at {TOKEN_PATH}): check "
                'the "client_id" and "client_secret" settings (Domo Admin > Authentication > '
                "API Clients) and that the client has the data scope"
            )
        if status != 200:
            raise DomoApiError(f"Domo token request failed with HTTP {status} at {TOKEN_PATH}")
        try:
            payload = response.json()
        except ValueError:
            raise RetriableError(f"unreadable token response at {TOKEN_PATH}") from None
        if not isinstance(payload, dict):
            raise DomoApiError(f"unexpected token response at {TOKEN_PATH}")
        return payload
