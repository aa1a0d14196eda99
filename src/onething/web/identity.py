"""Who is asking: identity is the host's (docs/http.md, "Authentication"). The server asks an
:class:`Authenticator` for the :class:`~onething.cases.records.Actor` behind each request and
trusts it; what that actor may do is onething's own rule (docs/roles.md), checked on every
endpoint.

Two authenticators ship: :class:`TrustedHeaders`, for a government sign-on gateway in front
that sets a header naming the person (refused unless the server is started with it), and
:class:`DevUsers`, a fixed list of people to pick from, for the demo and development.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote

import attrs

from onething.cases.records import Actor, Role, applicant, officer, supervisor, window

if TYPE_CHECKING:
    from starlette.requests import Request

#: the header a gateway names the person in, ``ROLE:ID[@DEPARTMENT]`` (UTF-8, percent-encoded)
ACTOR_HEADER = "X-Onething-Actor"
#: the header carrying the secret only the gateway knows
GATEWAY_HEADER = "X-Onething-Gateway-Secret"
#: the cookie (and, for scripts, the header) naming a development user
DEV_COOKIE, DEV_HEADER = "onething_user", "X-Onething-User"


class Authenticator(Protocol):
    """Tells who a request comes from, or None when it carries no identity it trusts."""

    @property
    def kind(self) -> str:
        """``dev`` (the pages offer a sign-in list) or ``trusted-headers`` (they do not)."""
        ...

    def identify(self, request: Request) -> Actor | None:
        """The actor behind ``request``, or None."""
        ...


def actor_from_text(text: str) -> Actor | None:
    """``ROLE:ID[@DEPARTMENT]`` as an actor (percent-encoded UTF-8 allowed), or None when it
    is not one."""
    try:
        plain = unquote(text.strip(), errors="strict")
        found = Actor.parse(plain)
    except (ValueError, UnicodeDecodeError):
        return None
    named = plain.partition(":")[2].partition("@")[0].strip()
    if not named or found.role is Role.SYSTEM:  # the system acts through the engine itself
        return None
    if found.role in (Role.WINDOW, Role.DEPARTMENT, Role.SUPERVISOR) and not found.department:
        return None
    return found


@attrs.frozen
class TrustedHeaders:
    """The person as the sign-on gateway in front names them in :data:`ACTOR_HEADER`.

    The gateway must remove any copy of the header a client sent; with ``secret`` set, a
    request is trusted only when it also carries that secret in :data:`GATEWAY_HEADER`
    (compared in constant time), so a request that went around the gateway names nobody.
    """

    secret: str | None = None
    header: str = ACTOR_HEADER
    secret_header: str = GATEWAY_HEADER
    kind: str = "trusted-headers"

    def identify(self, request: Request) -> Actor | None:
        """The actor the gateway named, or None."""
        if self.secret is not None:
            given = request.headers.get(self.secret_header, "")
            if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                       self.secret.encode("utf-8")):
                return None
        text = request.headers.get(self.header)
        return actor_from_text(text) if text else None


@attrs.frozen
class DevUsers:
    """A fixed list of people to sign in as (development and the demo only: anybody may pick
    anybody). The sign-in page sets :data:`DEV_COOKIE`, which the pages read; scripts and the
    API send :data:`DEV_HEADER`."""

    users: Mapping[str, Actor] = attrs.field(factory=lambda: dict(DEMO_USERS))
    kind: str = "dev"

    def identify(self, request: Request) -> Actor | None:
        """The user the header names, or for the pages the sign-in cookie; None otherwise
        (the API does not take the cookie: a page of another site could make the browser
        send it)."""
        name = request.headers.get(DEV_HEADER)
        if name is None and not request.url.path.startswith("/api/"):
            name = request.cookies.get(DEV_COOKIE)
        return self.users.get(unquote(name)) if name else None


#: the people of the demo hall (企业开办 at 湘乡市): who signs in as whom
DEMO_USERS: dict[str, Actor] = {
    "zhang-san": applicant("zhang-san"),
    "window-3": window("market_regulation", "window-3"),
    "reg-01": officer("market_regulation", "reg-01"),
    "reg-02": officer("market_regulation", "reg-02"),
    "mr-chief": supervisor("market_regulation", "mr-chief"),
    "police-01": officer("public_security", "police-01"),
    "tax-01": officer("tax", "tax-01"),
    "tax-chief": supervisor("tax", "tax-chief"),
    "hr-01": officer("human_resources", "hr-01"),
    "med-01": officer("medical_security", "med-01"),
    "fund-01": officer("housing_fund_centre", "fund-01"),
    "bank-01": officer("bank", "bank-01"),
    "gov-head": Actor(Role.GOVERNMENT_HEAD, "gov-head", "government"),
}
