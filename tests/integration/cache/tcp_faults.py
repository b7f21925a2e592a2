"""Misbehaving TCP endpoints on 127.0.0.1: a proxy that answers late, a server that answers `-ERR`."""

import contextlib
import socket
import threading
import time


class _Server:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._closed.set()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class DelayProxy(_Server):
    """Forwards to `target_port`, holding every reply for `delay` seconds (past the client's timeout)."""

    def __init__(self, target_port: int, delay: float) -> None:
        self._target_port = target_port
        self._delay = delay
        super().__init__()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self._target_port))
        self._sockets.append(upstream)
        threading.Thread(target=_pump, args=(client, upstream, 0.0), daemon=True).start()
        _pump(upstream, client, self._delay)


class ErrorServer(_Server):
    """Speaks RESP and answers every command with an error."""

    def _serve(self, connection: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            commands, buffer = _split_commands(buffer)
            try:
                connection.sendall(b"-ERR injected failure\r\n" * commands)
            except OSError:
                return


def _pump(source: socket.socket, target: socket.socket, delay: float) -> None:
    while True:
        try:
            chunk = source.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        if delay:
            time.sleep(delay)
        try:
            target.sendall(chunk)
        except OSError:
            return


def _split_commands(buffer: bytes) -> tuple[int, bytes]:
    """Count the complete RESP commands at the head of `buffer`; return (count, rest)."""
    count = 0
    while buffer:
        end = _command_end(buffer)
        if end is None:
            break
        count += 1
        buffer = buffer[end:]
    return count, buffer


def _command_end(buffer: bytes) -> int | None:
    line_end = buffer.find(b"\r\n")
    if line_end < 0:
        return None
    if not buffer.startswith(b"*"):
        return line_end + 2
    position = line_end + 2
    for _ in range(int(buffer[1:line_end])):
        header_end = buffer.find(b"\r\n", position)
        if header_end < 0:
            return None
        length = int(buffer[position + 1 : header_end])
        position = header_end + 2 + length + 2
        if position > len(buffer):
            return None
    return position
