"""Writes to a TCP connection go out at once when nothing is queued, and in order when something is
(csms/socket_writes.py). Real sockets; the reactor only records what it is asked to watch."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from twisted.internet import tcp

from csms import socket_writes


class WatchingReactor:
    def __init__(self):
        self.writers = set()

    def addWriter(self, selectable):
        self.writers.add(selectable)

    def removeWriter(self, selectable):
        self.writers.discard(selectable)


@pytest.fixture
def connection_pair(monkeypatch):
    # Twisted's own methods come back after the test.
    monkeypatch.setattr(tcp.Connection, "write", tcp.Connection.write)
    monkeypatch.setattr(tcp.Connection, "writeSequence", tcp.Connection.writeSequence)
    socket_writes.install()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        peer = socket.create_connection(listener.getsockname())
        ours, _ = listener.accept()
    ours.setblocking(False)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    reactor = WatchingReactor()
    connection = tcp.Connection(ours, None, reactor)
    connection.connected = True
    yield connection, peer, reactor
    ours.close()
    peer.close()


def received(peer: socket.socket, size: int) -> bytes:
    peer.settimeout(2)
    data = b""
    while len(data) < size:
        data += peer.recv(size - len(data))
    return data


def assert_nothing_received(peer: socket.socket) -> None:
    peer.settimeout(0.2)
    with pytest.raises(TimeoutError):
        peer.recv(10)


def test_a_write_with_nothing_queued_is_sent_at_once(connection_pair):
    connection, peer, reactor = connection_pair
    connection.write(b'[3,"1",{}]')
    assert received(peer, 10) == b'[3,"1",{}]'
    assert reactor.writers == set()  # no turn of the reactor needed
    # The next write (an HTTP body after its headers) is not held back until the peer acknowledges.
    assert connection.getTcpNoDelay()


def test_a_sequence_with_nothing_queued_is_sent_at_once(connection_pair):
    connection, peer, reactor = connection_pair
    connection.writeSequence([b"HTTP/1.1 200 OK\r\n", b"\r\n", b"{}"])
    assert received(peer, 21) == b"HTTP/1.1 200 OK\r\n\r\n{}"
    assert reactor.writers == set()


def test_what_a_full_socket_does_not_take_is_queued_and_later_writes_wait_behind_it(connection_pair):
    connection, peer, reactor = connection_pair
    big = bytes(range(256)) * 4096  # 1 MiB: more than the socket buffers hold
    connection.write(big)
    assert reactor.writers == {connection}  # the rest waits for the socket to be writable
    connection.write(b"after")
    connection.writeSequence([b"and ", b"last"])
    reading = ThreadPoolExecutor(1).submit(received, peer, len(big) + 13)
    deadline = time.monotonic() + 5
    while connection in reactor.writers:  # the reactor's turns, while the peer reads
        assert connection.doWrite() is None
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert reading.result(timeout=5) == big + b"afterand last"


def test_a_connection_closed_for_writing_sends_nothing(connection_pair):
    connection, peer, reactor = connection_pair
    connection._writeDisconnected = True
    connection.write(b"late")
    assert_nothing_received(peer)
    assert reactor.writers == set()


class PullProducer:
    def resumeProducing(self):
        pass

    def stopProducing(self):
        pass


def test_a_connection_with_a_pull_producer_keeps_twisteds_queue(connection_pair):
    connection, peer, reactor = connection_pair
    connection.registerProducer(PullProducer(), False)
    connection.write(b"chunk")
    # Queued: the producer is asked for more only when the reactor finds the queue drained.
    assert reactor.writers == {connection}
    assert connection.doWrite() is None
    assert received(peer, 5) == b"chunk"


def test_a_connection_being_aborted_sends_nothing_more(connection_pair):
    connection, peer, reactor = connection_pair
    connection._aborting = True  # what abortConnection() sets before the socket is closed
    connection.write(b"late")
    assert_nothing_received(peer)
