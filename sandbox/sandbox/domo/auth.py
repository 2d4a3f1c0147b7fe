"""OAuth client credentials: API clients, issued tokens and their validation (domo-api.md §1)."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

import orjson

from sandbox.domo.errors import CsvNotAcceptable, DomoApiError, OAuthError, ScopeError

KNOWN_SCOPES = ("account", "audit", "buzz", "dashboard", "data", "user", "workflow")


@dataclass(frozen=True)
class ApiClient:
    """An API client (Admin > Authentication > API Clients)."""

    client_id: str
    client_secret: str = field(repr=False)
    user_id: int
    scopes: tuple[str, ...]


@dataclass
class Token:
    """An issued access token."""

    client_id: str
    user_id: int
    scopes: tuple[str, ...]
    expires_at: float
    jti: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _iso_z(epoch: float) -> str:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenAuthority:
    """Holds API clients and the tokens issued to them (thread-safe)."""

    def __init__(self) -> None:
        """Start with no clients."""
        self._clients: dict[str, ApiClient] = {}
        self._tokens: dict[str, Token] = {}
        self._issued = 0
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()

    def add_client(self, client: ApiClient) -> None:
        """Register (or replace) a client."""
        unknown = set(client.scopes) - set(KNOWN_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}")
        with self._lock:
            self._clients[client.client_id] = client

    @property
    def issued(self) -> int:
        """How many tokens have been handed out."""
        with self._lock:
            return self._issued

    def issued_tokens(self) -> list[str]:
        """The text of every token handed out (to check that none leaks into logs or state)."""
        with self._lock:
            return list(self._tokens)

    def issue(
        self, client_id: str, secret: str, scope: str | None, lifetime: int
    ) -> tuple[str, Token]:
        """Check the credentials and issue a token for the requested scopes.

        Raises:
            DomoApiError: 401 on bad credentials, 400 on a scope the client was not granted.
        """
        client = self._clients.get(client_id)
        if client is None or not hmac.compare_digest(client.client_secret, secret):
            raise DomoApiError(401, "Bad credentials", headers={"WWW-Authenticate": "Basic"})
        scopes = client.scopes if not scope else tuple(scope.split())
        refused = [s for s in scopes if s not in client.scopes]
        if refused:
            raise OAuthError(400, "invalid_scope", f"Invalid scope: {' '.join(refused)}")
        now = time.time()
        token = Token(client_id, client.user_id, scopes, now + lifetime, str(uuid.uuid4()))
        text = self._encode(token, now)
        with self._lock:
            self._tokens[text] = token
            self._issued += 1
        return text, token

    def _encode(self, token: Token, now: float) -> str:
        """A JWT-shaped token: clients such as pydomo read `exp` from its payload."""
        header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        claims = {
            "sub": str(token.user_id),
            "client_id": token.client_id,
            "scope": list(token.scopes),
            "iat": int(now),
            "exp": int(token.expires_at),
            "jti": token.jti,
        }
        payload = _b64(orjson.dumps(claims))
        signature = hmac.new(self._key, f"{header}.{payload}".encode(), "sha256").digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def expire_all(self) -> None:
        """Make every issued token expired (as an hour later)."""
        past = time.time() - 1
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, past)

    def authenticate(self, authorization: str | None, *, csv: bool, oauth_body: bool) -> Token:
        """The token named by an `Authorization: bearer <t>` header.

        Raises:
            DomoApiError: 401 (missing, unknown or expired token), or 406 for `text/csv` requests.
        """
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized(csv, oauth_body, None)
        with self._lock:
            token = self._tokens.get(value.strip())
        if token is None:
            raise _unauthorized(csv, oauth_body, "Malformed token")
        if time.time() >= token.expires_at:
            raise _unauthorized(csv, oauth_body, f"Jwt expired at {_iso_z(token.expires_at)}")
        return token


def _unauthorized(csv: bool, oauth_body: bool, problem: str | None) -> DomoApiError:
    if csv:
        return CsvNotAcceptable()
    if problem is None:
        message = "Full authentication is required to access this resource"
        return DomoApiError(401, message, headers={"WWW-Authenticate": "Bearer"})
    description = f"An error occurred while attempting to decode the Jwt: {problem}"
    header = f'Bearer error="invalid_token", error_description="{description}"'
    headers = {"WWW-Authenticate": header}
    if oauth_body:
        return OAuthError(401, "invalid_token", description, headers=headers)
    return DomoApiError(401, description, headers=headers)


def require_scope(token: Token, scope: str) -> None:
    """Refuse a token without `scope`.

    Raises:
        ScopeError: 403 `{"status":403,"toe":...}`.
    """
    if scope not in token.scopes:
        raise ScopeError()
