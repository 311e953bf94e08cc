"""Twisted's reading of a request's Content-Type is remembered (csms/content_type.py)."""

from twisted.web import http

from csms import content_type


def test_each_content_type_is_read_with_the_email_package_once(monkeypatch):
    # Twisted's own, uncached, for this test, and back after it.
    uncached = getattr(http._parseContentType, "__wrapped__", http._parseContentType)
    monkeypatch.setattr(http, "_parseContentType", uncached)
    readings = []
    email_message = http.EmailMessage

    def counted():
        readings.append(1)
        return email_message()

    monkeypatch.setattr(http, "EmailMessage", counted)
    content_type.install()
    content_type.install()  # installing twice keeps one cache
    for _ in range(3):
        assert http._parseContentType(b"application/json; charset=utf-8") == b"application/json"
        assert http._parseContentType(b"Application/X-WWW-Form-URLencoded") == b"application/x-www-form-urlencoded"
    assert len(readings) == 2
