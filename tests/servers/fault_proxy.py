"""A TCP proxy that injects network faults between coffer and a storage server.

    proxy = FaultProxy(upstream_port, seed=7)
    proxy.start()                      # listens on 127.0.0.1:proxy.port
    proxy.set_faults(reset=0.05, http_503=0.05, delay=0.05, truncate=0.05)
    ...
    proxy.stop()

Each HTTP request (the first bytes a client sends on a connection, or the
first it sends after the server has answered) draws one fault with the given
probabilities, from a seeded random generator so a failing run can be
repeated:
- reset: the client connection is reset (RST) before anything is forwarded;
- http_503: the proxy answers "503 Service Unavailable" itself and closes;
- delay: the request is held for `delay_seconds` before being forwarded;
- truncate: the request is forwarded, but only part of the answer comes back
  before the connection is closed.
`counts` tells how many of each were injected. `set_down(True)` plays a dead
server: open connections are reset and new ones refused until
`set_down(False)`. The proxy relies on coffer not
sending "Expect: 100-continue", so a request body never follows a response.
"""

import random
import socket
import struct
import threading

FAULTS = ("reset", "http_503", "delay", "truncate")


class FaultProxy:
    def __init__(self, upstream_port, upstream_host="127.0.0.1", seed=0, delay_seconds=1.5):
        self.upstream = (upstream_host, upstream_port)
        self.delay_seconds = delay_seconds
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._rates = {}
        self.counts = {name: 0 for name in FAULTS}
        self.requests = 0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads = []
        self._down = False
        self._active = set()  # (client, upstream) socket pairs being served

    def set_faults(self, **rates):
        unknown = set(rates) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {FAULTS}")
        with self._lock:
            self._rates = dict(rates)

    def set_down(self, down):
        with self._lock:
            self._down = down
            active = list(self._active) if down else []
        for pair in active:
            for sock in pair:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def start(self):
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self):
        self._stopping.set()
        try:
            self._listener.close()
        except OSError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _draw(self):
        with self._lock:
            self.requests += 1
            roll = self._rng.random()
            for name in FAULTS:
                rate = self._rates.get(name, 0.0)
                if roll < rate:
                    self.counts[name] += 1
                    return name, self._rng.random()
                roll -= rate
            return None, 0.0

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        with self._lock:
            down = self._down
        if down:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            return
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        with self._lock:
            self._active.add((client, upstream))
        state = {"answered": True, "truncate_after": None, "closed": False}
        lock = threading.Lock()

        def close_both(reset=False):
            with lock:
                if state["closed"]:
                    return
                state["closed"] = True
            if reset:
                # SO_LINGER with a zero timeout makes close() send RST.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with self._lock:
                self._active.discard((client, upstream))
            for s in (client, upstream):
                # shutdown() first: close() alone does not end a recv() that
                # the other thread is blocked in, so no FIN would be sent.
                if not reset:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                try:
                    s.close()
                except OSError:
                    pass

        def upstream_to_client():
            try:
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    limit = state["truncate_after"]
                    if limit is not None:
                        if len(data) >= limit:
                            client.sendall(data[:limit])
                            close_both()
                            return
                        state["truncate_after"] = limit - len(data)
                    client.sendall(data)
                    state["answered"] = True
            except OSError:
                pass
            close_both()

        threading.Thread(target=upstream_to_client, daemon=True).start()
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if state["answered"]:
                    state["answered"] = False
                    fault, fraction = self._draw()
                    if fault == "reset":
                        close_both(reset=True)
                        return
                    if fault == "http_503":
                        client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                       b"Connection: close\r\n\r\n")
                        close_both()
                        return
                    if fault == "delay":
                        self._stopping.wait(self.delay_seconds)
                    if fault == "truncate":
                        state["truncate_after"] = 1 + int(fraction * 4096)
                upstream.sendall(data)
        except OSError:
            pass
        close_both()
