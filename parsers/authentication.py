"""What the receiving server says of a message's sender: the verdicts of its
`Authentication-Results` header (RFC 8601) for DKIM, SPF, DMARC and ARC.

`bilan` does not check signatures itself: the mail server that accepted the
message did, with the DNS of the day, and wrote its verdicts on top of it.
Only the topmost `Authentication-Results` is read (the one the last server,
ours, added; a sender can write any such header lower down), or, when
`trusted_servers` is given, the topmost one from one of those servers (its
authserv-id, e.g. `mx.anct.gouv.fr`). A header that cannot be read counts as
no verdict, never as a pass.

For forwarded mail, the DKIM and SPF of the original sender often fail at
the last hop; `arc=pass` says that the forwarder vouched for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message

#: The methods whose verdict is kept.
METHODS = ("dkim", "spf", "dmarc", "arc")
#: A real header is a few hundred characters; a longer one is not read
#: (no verdict), so that a crafted header costs nothing.
MAX_HEADER_CHARS = 8192
#: Results that say the check failed (RFC 8601 §2.7); `none`, `neutral`,
#: `temperror` say that nothing could be concluded.
FAILED = frozenset({"fail", "softfail", "permerror", "policy"})


@dataclass(frozen=True)
class SenderAuthentication:
    """The receiving server's verdicts, one result word per method (None:
    that method was not reported)."""

    server: str | None = None
    dkim: str | None = None
    spf: str | None = None
    dmarc: str | None = None
    arc: str | None = None

    def failures(self) -> list[str]:
        """The failed checks, as `method=result`; none when ARC vouches for
        a forwarded message (its DKIM and SPF are expected to break)."""
        if self.arc == "pass":
            return []
        return [f"{method}={getattr(self, method)}" for method in METHODS if getattr(self, method) in FAILED]

    @property
    def reported(self) -> bool:
        return any(getattr(self, method) for method in METHODS)


def read_authentication(message: Message, trusted_servers: Iterable[str] = ()) -> SenderAuthentication | None:
    """The verdicts of the topmost readable `Authentication-Results` (of a
    trusted server, when some are named); None when there is none."""
    trusted = {server.lower() for server in trusted_servers if server}
    try:
        headers = message.get_all("authentication-results") or []
    except Exception:  # a header the e-mail library cannot even split: no verdict
        return None
    for header in headers:
        verdict = parse_authentication_results(str(header))
        if verdict is None:
            continue
        if trusted and (verdict.server or "").lower() not in trusted:
            continue
        return verdict
    return None


def parse_authentication_results(value: str) -> SenderAuthentication | None:
    """One header's value; None when it cannot be parsed. When a method is
    reported more than once (several DKIM signatures), a pass wins: one valid
    signature of the sender's domain is enough."""
    import authres

    if len(value) > MAX_HEADER_CHARS:
        return None
    try:
        parsed = authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
    except Exception:  # authres raises its own errors, and others on odd input
        return None
    results: dict[str, str] = {}
    for result in parsed.results:
        method, verdict = (result.method or "").lower(), (result.result or "").lower()
        if method in METHODS and results.get(method) != "pass":
            results[method] = verdict
    return SenderAuthentication(server=parsed.authserv_id or None, **results)
