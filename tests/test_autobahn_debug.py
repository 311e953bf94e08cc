"""autobahn's per-connection debug line is formatted only when it is shown (csms/autobahn_debug.py)."""

import pprint

from autobahn.websocket import protocol

from csms import autobahn_debug


def test_the_options_line_is_formatted_when_shown_and_not_before(monkeypatch):
    autobahn_debug.install()
    formatted = []
    real = pprint.pformat
    monkeypatch.setattr(pprint, "pformat", lambda value: formatted.append(value) or real(value))
    options = [("openHandshakeTimeout", 5, "WebSocketFactory"), ("autoPingInterval", 20, "WebSocketFactory")]
    line = protocol.pformat(options)
    assert formatted == []
    assert f"\n{line}" == "\n" + real(options)  # the way the log line reads it
    assert formatted == [options]


def test_timings_still_read_as_text():
    autobahn_debug.install()
    timings = protocol.Timings()
    timings.track("onOpen")
    assert str(timings).startswith("{'onOpen': ")
