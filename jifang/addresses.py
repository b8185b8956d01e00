"""Device addresses carry no credentials: not stored, not returned, not published.

A credential reaches an address two ways. The URL's userinfo (``rtsp://admin:pw@host/...``),
which every camera's manual shows. And vendor parameters: Hikvision's stream URIs accept
``username=``/``password=`` in the query (for a streaming server fetching the stream), CGI
cameras (Foscam and its clones) take ``usr=``/``pwd=``, cheap P2P cameras ``loginuse=``/
``loginpas=``, and Xiongmai (XMEye) firmware puts ``user=admin&password=...&channel=1`` in the
path's last segment itself. The names are matched case-insensitively.

The registry refuses an address holding any of them (:func:`credential_in`); ingest strips them
from the stream URIs a device reports before publishing them (:func:`strip_credentials`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

# Parameter names that carry a user name or a password, in the spellings cameras use.
CREDENTIAL_PARAMETERS = frozenset(
    {
        "user",
        "username",
        "user_name",
        "usr",
        "login",
        "loginuse",
        "account",
        "password",
        "passwd",
        "passwrd",
        "pass",
        "pwd",
        "psw",
        "pw",
        "loginpas",
        "secret",
        "auth",
        "authbasic",
    }
)
# A query (or a path segment) is split into name=value pairs on & and ;.
_PAIRS = re.compile(r"[&;]")


def _credential_names(text: str) -> list[str]:
    """The credential parameter names among the name=value pairs of a query or path segment."""
    return [unquote(p.partition("=")[0]).strip() for p in _PAIRS.split(text) if _is_credential(p)]


def credential_in(url: str) -> str | None:
    """Where the URL carries a credential ("userinfo", "query parameter 'pwd'", "path
    parameter 'password'"), or None when it carries none."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return "userinfo"
    for name in _credential_names(parts.query):
        return f"query parameter {name!r}"
    for segment in parts.path.split("/"):
        for name in _credential_names(segment):
            return f"path parameter {name!r}"
    return None


def _is_credential(pair: str) -> bool:
    name, sep, _ = pair.partition("=")
    return bool(sep) and unquote(name).strip().lower() in CREDENTIAL_PARAMETERS


def _without_credentials(text: str) -> str:
    """The pairs that are not credentials, each with the separator that preceded it."""
    pieces = re.split(r"([&;])", text)
    kept: list[str] = []
    for i in range(0, len(pieces), 2):
        if not _is_credential(pieces[i]):
            kept += [pieces[i - 1] if i and kept else "", pieces[i]]
    return "".join(kept)


def strip_credentials(uri: str) -> str:
    """The URI without userinfo and without credential parameters in its query or path; a URI
    that carries none is returned unchanged."""
    if credential_in(uri) is None:
        return uri
    parts = urlsplit(uri)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    path = "/".join(_without_credentials(s) if _credential_names(s) else s for s in parts.path.split("/"))
    query = _without_credentials(parts.query) if _credential_names(parts.query) else parts.query
    return urlunsplit(parts._replace(netloc=netloc, path=path, query=query))
