"""A WebSocket handshake denied with an HTTP status and headers: ASGI's WebSocket Denial Response.

Daphne answers every denial (`websocket.close` before `websocket.accept`) with 403 and no header.
A node that is too busy to admit another charger now, or that is shutting down, should say so:
503 and when to come back (`Retry-After`), so that a charger, or the load balancer in front of the
nodes, tries again later or elsewhere instead of taking the refusal for a verdict on its credentials.

`install()` teaches daphne the ASGI extension `websocket.http.response`: an application that sends
`websocket.http.response.start` (status, headers) before accepting denies the handshake with that
status and those headers; the `websocket.http.response.body` that follows is not sent (a handshake
refusal carries none). `deny()` is that pair of messages, for a 503 with its Retry-After.
"""

from http import HTTPStatus


async def deny(send, *, retry_after: int) -> None:
    """Deny a WebSocket handshake that has not been accepted: 503, come back in `retry_after` seconds."""
    headers = [(b"retry-after", str(retry_after).encode())]
    await send({"type": "websocket.http.response.start", "status": 503, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": b""})


def install() -> None:
    from daphne.ws_protocol import WebSocketProtocol

    handle_reply = WebSocketProtocol.handle_reply
    if getattr(handle_reply, "denies_with_status", False):
        return
    fail_handshake = WebSocketProtocol.failHandshake

    def reply(protocol, message):
        kind = message.get("type")
        if kind == "websocket.http.response.start" and protocol.state == protocol.STATE_CONNECTING:
            headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in message.get("headers", [])]
            protocol.denial = int(message["status"]), headers
            protocol.serverReject()  # daphne's own refusal, with this status and these headers (below)
        elif kind != "websocket.http.response.body":
            handle_reply(protocol, message)

    def fail(protocol, reason, code=400, responseHeaders=None):  # noqa: N803 (autobahn's name)
        denial = getattr(protocol, "denial", None)
        if denial is not None:
            code, responseHeaders = denial
            reason = HTTPStatus(code).phrase
        return fail_handshake(protocol, reason, code, responseHeaders)

    reply.denies_with_status = True
    WebSocketProtocol.handle_reply = reply
    WebSocketProtocol.failHandshake = fail
