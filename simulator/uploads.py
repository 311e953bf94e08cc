"""A charger's file upload (GetLog) to the location the CSMS gave: an HTTP PUT of the file to
`<location><file name>`, as the CSMS's own receiver takes it (a location ending in `/` names a directory).
Other schemes (ftp://) are not spoken: their upload is only told, as if it had gone."""

import asyncio
import logging
import urllib.error
import urllib.request

log = logging.getLogger("simulator")

TIMEOUT = 30


def _put(url: str, content: bytes) -> int:
    request = urllib.request.Request(url, data=content, method="PUT", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.status


async def upload(location: str, file_name: str, content: bytes) -> bool:
    """Whether the file reached the location."""
    if not location.startswith(("http://", "https://")):
        log.info("upload of %s not sent: only HTTP(S) locations are spoken", file_name)
        return True
    url = location + file_name if location.endswith("/") else location
    try:
        status = await asyncio.to_thread(_put, url, content)
    except (urllib.error.URLError, OSError) as error:
        log.warning("upload of %s failed: %s", file_name, error)  # the location may hold a secret token
        return False
    return 200 <= status < 300
