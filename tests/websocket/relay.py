"""A TCP relay on loopback, for the cluster test's Broker backend: it puts a node's link to
another node (or the bridge's WebSocket connection) under the test's control. It listens
only once opened (until then a connection to its port is refused, and Broker and the bridge
try again), and it can hold back what the target sends for a while, the order kept."""

import queue
import socket
import threading
import time

import harness


class Relay:
    """Relays connections to 127.0.0.1:`target_port` once `open()`ed; what the target sends
    reaches the connecting side `delay` seconds later."""

    def __init__(self, target_port, delay=0.0):
        self.port = harness.free_port()
        self.target_port = target_port
        self.delay = delay
        self.server = None
        self.sockets = []
        self.accepted = 0

    def open(self):
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.server.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                return
            self.accepted += 1
            self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.delay), daemon=True).start()

    @staticmethod
    def _pipe(src, dst, delay):
        """Copies src to dst until src ends; with a delay, each chunk is sent when it is
        `delay` seconds old (a second thread sends, so the delay does not add up)."""
        chunks = queue.Queue()

        def send():
            try:
                while True:
                    due, data = chunks.get()
                    time.sleep(max(0.0, due - time.monotonic()))
                    if data is None:
                        dst.shutdown(socket.SHUT_WR)
                        return
                    dst.sendall(data)
            except OSError:
                pass

        threading.Thread(target=send, daemon=True).start()
        try:
            while True:
                data = src.recv(65536)
                chunks.put((time.monotonic() + delay, data or None))
                if not data:
                    return
        except OSError:
            chunks.put((0.0, None))

    def close(self):
        for s in ([self.server] if self.server else []) + self.sockets:
            s.close()
