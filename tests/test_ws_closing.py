"""A frame sent to a connection that is closing is dropped quietly (csms/ws_closing.py)."""

from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

from csms import ws_closing


class Server:
    application_checker = None


def closing_protocol(state) -> WebSocketProtocol:
    """daphne's protocol for a connection autobahn has closed (a charger's close frame read) and daphne has
    not yet heard of."""
    protocol = WebSocketFactory(Server()).buildProtocol(("127.0.0.1", 0))
    protocol.client_addr = ["127.0.0.1", 50000]
    protocol.state = state
    return protocol


def test_a_frame_to_a_closed_or_closing_connection_is_dropped_without_an_error():
    ws_closing.install()
    for state in (WebSocketProtocol.STATE_CLOSING, WebSocketProtocol.STATE_CLOSED):
        closing_protocol(state).serverSend('[3,"1",{"currentTime":"2026-12-07T12:00:00Z"}]')


def test_a_frame_to_an_open_connection_is_sent():
    ws_closing.install()
    protocol = closing_protocol(WebSocketProtocol.STATE_OPEN)
    sent = []
    protocol.sendMessage = lambda payload, binary: sent.append(payload)
    protocol.serverSend('[3,"1",{}]')
    assert sent == [b'[3,"1",{}]']
