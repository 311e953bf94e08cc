"""A frame sent to a connection that is closing is dropped, as daphne drops one sent after the close.

When a charger's close frame arrives, autobahn closes the connection at once, and daphne learns of it
only when the socket is gone, a turn of the event loop later. A frame the server sends in between
(the answer to a call the charger sent before its close, read in the same packet) met autobahn's
`Disconnected`, raised into the consumer in the middle of its work: an ERROR with a traceback in the
log, and the charger's frames still queued behind it never handled. The charger is leaving and the
answer has nowhere to go, as after the close, when daphne drops it without a word.
"""

import logging

log = logging.getLogger(__name__)


def install() -> None:
    from daphne.ws_protocol import WebSocketProtocol

    server_send = WebSocketProtocol.serverSend
    if getattr(server_send, "drops_when_closing", False):
        return

    def send(protocol, content, binary=False):
        if protocol.state in (protocol.STATE_CLOSING, protocol.STATE_CLOSED):
            log.debug("dropped a frame to %s: the connection is closing", protocol.client_addr)
            return
        server_send(protocol, content, binary)

    send.drops_when_closing = True
    WebSocketProtocol.serverSend = send
