"""autobahn's debug line of every connection's options, formatted only when it is logged.

When a connection is made, autobahn logs its 29 options at debug level, formatted with pprint
before the logger is asked, whether or not debug is on: a fifth of a WebSocket handshake's CPU in
this server (`py-spy` of a node denying handshakes, bench/README.md). The module's `pformat` is
made lazy: the text is made when the line is written, and never when debug is off. Its one other
use, a Timings' text, is given pprint's own.
"""

import pprint


class _Formatted:
    """pprint's text of a value, made when the value is shown."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)


def _timings_text(timings) -> str:
    return pprint.pformat(timings._timings)


def install() -> None:
    from autobahn.websocket import protocol

    protocol.Timings.__str__ = _timings_text
    protocol.pformat = _Formatted
