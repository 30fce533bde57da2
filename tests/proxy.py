"""A TCP proxy on loopback that can freeze: it stops forwarding in both directions without closing
anything, as a stopped database server or a network path that silently drops packets does (the
kernel keeps acknowledging what is sent, so the client only ever waits)."""
from __future__ import annotations

import socket
import threading

from sqlalchemy.engine import make_url


class FreezableProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``; ``freeze()`` holds every byte until ``thaw()``."""

    def __init__(self, upstream_url: str):
        url = make_url(upstream_url)
        socket_dir = url.query.get("host")  # the embedded server listens on a Unix socket only
        self._upstream = (f"{socket_dir}/.s.PGSQL.{url.port or 5432}" if socket_dir
                          else (url.host or "127.0.0.1", url.port or 5432))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = url.difference_update_query(["host"]).set(host="127.0.0.1", port=self.port).render_as_string(
            hide_password=False)
        self._flowing = threading.Event()
        self._flowing.set()
        self._thaw_anyway = threading.Timer(0, lambda: None)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self, *, at_most: float = 30) -> None:
        """Hold every byte; after ``at_most`` seconds it flows again, so a test that waits for ever fails instead."""
        self._flowing.clear()
        self._thaw_anyway = threading.Timer(at_most, self._flowing.set)
        self._thaw_anyway.daemon = True
        self._thaw_anyway.start()

    def thaw(self) -> None:
        self._thaw_anyway.cancel()
        self._flowing.set()

    def close(self) -> None:
        self.thaw()
        with self._lock:
            for sock in [self._listener, *self._sockets]:
                sock.close()

    def __enter__(self) -> "FreezableProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
                if isinstance(self._upstream, str):
                    server = socket.socket(socket.AF_UNIX)
                    server.connect(self._upstream)
                else:
                    server = socket.create_connection(self._upstream)
            except OSError:
                return  # closed
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):  # either side gone: so is the other
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
