"""An HTTP proxy for the `cloudshare` CLI (through HTTP_PROXY) that stops a multipart upload at a chosen part,
so that tests and benches kill the CLI at a known point rather than at a moment a clock picks.

It forwards every request, and counts the bytes of the part PUTs it receives; it sends on the first
`parts_to_pass` part PUTs and holds each one after them (never sending it on) until released.
"""

from __future__ import annotations

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

_HOP_BY_HOP = {"proxy-connection", "connection", "keep-alive"}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed client: what the gate is for
            super().handle_error(request, client_address)


class PartGate:
    def __init__(self, parts_to_pass: int | None):
        """parts_to_pass None: pass every part (only count)."""
        self.parts_to_pass = parts_to_pass
        self.held = threading.Event()
        self.part_bytes = 0  # body bytes of the part PUTs received, passed or held
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._admitted = 0
        gate = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self) -> None:
                target = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_part = self.command == "PUT" and "partNumber=" in target.query
                if is_part and gate._hold(len(body)):
                    gate._release.wait(timeout=60)
                    self.close_connection = True
                    return
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
                upstream.request(self.command, urlunsplit(("", "", target.path, target.query, "")), body, headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP_BY_HOP | {"transfer-encoding", "content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = forward

            def log_message(self, *_args) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Forward)
        proxy = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.env = {"HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}

    def _hold(self, size: int) -> bool:
        with self._lock:
            self.part_bytes += size
            hold = self.parts_to_pass is not None and self._admitted >= self.parts_to_pass
            self._admitted += not hold
        if hold:
            self.held.set()
        return hold

    def pass_all(self) -> None:
        """From now on every part passes; the held ones are dropped (their client is gone)."""
        self.parts_to_pass = None
        self._release.set()

    def __enter__(self) -> PartGate:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
