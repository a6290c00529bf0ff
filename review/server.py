"""`schoolaudit serve`: the review app under uvicorn, on a socket the app binds itself.

Binding the socket here gives a clear line when the address is taken or not allowed, and lets `--port 0`
take any free port (the line printed says which). Ctrl+C and SIGTERM stop it gracefully (uvicorn finishes
the requests under way; after SIGTERM the process ends by that signal, as a service manager expects). uvicorn's access log is off: a URL can carry a search
for a student's name, and the app's own access register (review.app) records what was shown and to whom.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from pipelines.resources import DEFAULT_DB
from review.app import AppConfig, create_app
from review.users import has_users


class ServeError(Exception):
    """The app cannot start: one line for the user."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot serve on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot serve on {host}:{port}: {exc.strerror} (choose another --port or --host)") from None
    sock.set_inheritable(True)
    return sock


def serve(config: AppConfig, host: str, port: int, say) -> None:
    """Run the app until interrupted. Refuses to start without users (there is no default user)."""
    import uvicorn

    if not has_users(config.db):
        raise ServeError(
            "no users yet: add one with `schoolaudit users add NAME --role privacy_officer"
            + (f" --db {config.db}" if str(config.db) != DEFAULT_DB else "")
            + "` (the password is asked twice), then start the app again"
        )
    app = create_app(config)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    say(f"the review app is serving on http://{shown_host}:{bound_port}/ (warehouse {config.db}, "
        f"reports {Path(config.out)}); stop it with Ctrl+C")  # fmt: skip
    if not is_loopback(host) and not config.https_only:
        say("warning: serving beyond this machine without --https-only: passwords and sessions cross the network "
            "unencrypted unless a TLS reverse proxy is in front (see the README)")  # fmt: skip
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="warning", access_log=False, server_header=False, proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",  # the reverse proxy on this machine may say who the client is
        )
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shut down gracefully, then raised the Ctrl+C again: a normal stop
        say("the review app has stopped")
    finally:
        sock.close()
