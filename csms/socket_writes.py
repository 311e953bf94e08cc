"""Data written to a TCP connection goes out at once when nothing is queued before it.

Twisted queues every write and sends it on a later turn of the reactor: it registers the
socket for writability (a system call), the next poll reports it writable, it sends, and it
unregisters the socket (another system call). Every frame to a charger and every HTTP response
paid for that turn and the two system calls; a busy server's event loop spent about a tenth of
its time on them. Here a write that finds nothing queued is sent at once; what the socket does
not take (a full send buffer) and anything after it is queued as Twisted would, in order, and
an error is left for Twisted's own write to find.

Twisted sent what one turn wrote with one send; now each write is a send of its own (an HTTP
response's headers, then its body). Such a connection gets TCP_NODELAY, as WebSocket connections
have it already, so that the kernel does not hold the second segment back until the first is
acknowledged (Nagle's algorithm against the peer's delayed acknowledgement: up to 40 ms).
A connection with a pull producer, or being aborted, keeps Twisted's path.
"""

from twisted.internet import tcp

_queued_write = tcp.Connection.write
_queued_write_sequence = tcp.Connection.writeSequence


def _write(self, data) -> None:
    if type(data) is bytes and data and _idle(self):
        if not getattr(self, "_sends_at_once", False):
            self.setTcpNoDelay(True)
            self._sends_at_once = True
        sent = self.writeSomeData(data)
        if type(sent) is int and sent > 0:
            if sent == len(data):
                return
            data = data[sent:]
    _queued_write(self, data)


def _write_sequence(self, iovec) -> None:
    chunks = list(iovec)
    if all(type(chunk) is bytes for chunk in chunks):
        _write(self, b"".join(chunks))  # at once or queued, as one write would be
    else:
        _queued_write_sequence(self, chunks)


def _idle(connection: tcp.Connection) -> bool:
    """Connected, not TLS started on it, not being aborted, no pull producer waiting for the
    buffer to drain, and nothing queued that this data would overtake."""
    return (
        connection.connected
        and not connection.disconnected
        and not connection._aborting
        and not connection.TLS
        and not connection._writeDisconnected
        and (connection.producer is None or connection.streamingProducer)
        and not connection._tempDataBuffer
        and connection.offset == len(connection.dataBuffer)
    )


def install() -> None:
    tcp.Connection.write = _write
    tcp.Connection.writeSequence = _write_sequence
