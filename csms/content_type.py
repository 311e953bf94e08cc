"""Twisted's reading of an HTTP request's Content-Type, remembered.

To find form bodies, Twisted reads the Content-Type of every POST that has a body with the
email package: a new email message, its header registry and policy, each time.
At 100 API commands a second that was about 8 % of the event loop's time, the loop that also
serves every charger's socket. The answer depends on the header's value alone and a server
sees few distinct values, so the answers are kept (the most recent 256).
"""

from functools import lru_cache

from twisted.web import http


def install() -> None:
    if not hasattr(http._parseContentType, "cache_info"):
        http._parseContentType = lru_cache(maxsize=256)(http._parseContentType)
