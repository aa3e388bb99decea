"""How this dashboard is served, decided by the server itself, however it was started.

- **Shared**: the server listens on an address other machines can reach. Solara's
  `run` command (behind `frontline dashboard` and `solara run dashboards/app.py` alike)
  tells the server process its bind address in `SERVER_NAME`; anything but a loopback
  address, or no address at all (another way of serving the app), counts as shared.
  `FRONTLINE_DASHBOARD_SHARED=1` forces it. Shared, paths from pages are confined to
  the project and game creation needs the instructor token.
- **Classroom** (`frontline dashboard --classroom`, `FRONTLINE_CLASSROOM=1`): only the
  wargame is served, at `/` as at `/wargame` (Explore and Compare would lift the fog).
- **The instructor token**: `FRONTLINE_INSTRUCTOR_TOKEN`, else one drawn when the app
  starts and printed on the server's console. Shared or in a classroom, creating games
  and listing the saved ones need it.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
import sys
from pathlib import Path

SHARED_VARIABLE = "FRONTLINE_DASHBOARD_SHARED"  # "1": served to other machines
CLASSROOM_VARIABLE = "FRONTLINE_CLASSROOM"  # "1": only the wargame
TOKEN_VARIABLE = "FRONTLINE_INSTRUCTOR_TOKEN"
PUBLIC_URL_VARIABLE = "FRONTLINE_PUBLIC_URL"  # the address students use, if not guessed
LOOPBACK_NAMES = ("localhost", "ip6-localhost")


def bind_host() -> str | None:
    """The address the server listens on (None: not started by `solara run`)."""
    return os.environ.get("SERVER_NAME") or None


def bind_port() -> int:
    try:
        return int(os.environ.get("SERVER_PORT", "8765"))
    except ValueError:
        return 8765


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def shared() -> bool:
    """Whether other machines may reach this dashboard (see the module's docstring)."""
    return os.environ.get(SHARED_VARIABLE) == "1" or not is_loopback(bind_host())


def classroom() -> bool:
    return os.environ.get(CLASSROOM_VARIABLE) == "1"


def instructor_needed() -> bool:
    """Whether creating and listing games needs the instructor token."""
    return shared() or classroom()


_token: str | None = None


def instructor_token() -> str:
    """The instructor token: from the environment, else drawn once and printed."""
    global _token
    if os.environ.get(TOKEN_VARIABLE):
        return os.environ[TOKEN_VARIABLE]
    if _token is None:
        _token = secrets.token_urlsafe(12)
        if instructor_needed():
            print(f"Frontline instructor token: {_token}", file=sys.stderr, flush=True)
    return _token


def token_matches(given: str) -> bool:
    """Whether `given` is the instructor token (compared in constant time)."""
    return hmac.compare_digest(given.strip().encode(), instructor_token().encode())


def roots(project: Path) -> list[Path] | None:
    """Where paths from pages may lead: the project when shared, anywhere otherwise."""
    return [Path(project)] if shared() else None


def public_base() -> str:
    """The address students open: FRONTLINE_PUBLIC_URL, else this machine's address on
    the network (the route a packet to a private address would take: nothing is sent),
    else its name."""
    if os.environ.get(PUBLIC_URL_VARIABLE):
        return os.environ[PUBLIC_URL_VARIABLE].rstrip("/")
    host = bind_host() or "127.0.0.1"
    if host in ("0.0.0.0", "::", ""):
        host = _local_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{bind_port()}"


def _local_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 9))  # UDP connect: chooses a route, sends nothing
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostname()


def join_url(code: str) -> str:
    """The address that opens a game with `code` (what the QR codes hold)."""
    return f"{public_base()}/wargame?code={code}"
