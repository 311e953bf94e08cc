"""Firmware updates and file uploads as every simulated charger goes through them, a step of
`firmware_step` seconds each; each version tells every step in its own notification (`notify`)."""

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable

from cryptography import x509

from simulator import uploads
from simulator.charger import firmware_version_from

Notify = Callable[[str], Awaitable[None]]


class Firmware:
    log_status, log_request_id = "Idle", None

    async def log_status_notification(self, status: str, request_id: int | None) -> None:
        """A GetLog upload's progress, a message 1.6's Security Whitepaper took from 2.0.1 with its fields."""
        self.log_status, self.log_request_id = status, request_id
        await self.call(self._call.LogStatusNotification(status=status, request_id=request_id), suppress=False)
        self.log.info("log upload: %s", status)

    async def _steps(self, notify: Notify, *statuses: str) -> None:
        for status in statuses:
            await notify(status)
            await asyncio.sleep(self.firmware_step)

    async def _download(self, notify: Notify) -> None:
        await self._steps(notify, "Downloading", "Downloaded")

    async def _install_firmware(self, notify: Notify, location: str) -> None:
        """Installing once no car is charging; the new version is named by the firmware's file."""
        while any(c.session for c in self.connectors.values()):
            await asyncio.sleep(self.firmware_step)
        await self._steps(notify, "Installing")
        self.firmware_version = firmware_version_from(location, self.firmware_version)

    async def _upload(
        self, notify: Notify, location: str | None = None, file_name: str = "", failed: str = "UploadFailed"
    ) -> None:
        """Uploading, then Uploaded; with a location, the file is sent there (HTTP PUT) and may fail."""
        await notify("Uploading")
        await asyncio.sleep(self.firmware_step)
        if location is not None and not await uploads.upload(location, file_name, self.log_content()):
            await notify(failed)
            return
        await notify("Uploaded")

    def log_content(self) -> bytes:
        """What an uploaded log holds: the charger's story, as an operator would read it."""
        return f"{self.id} {self.identity.model} firmware {self.firmware_version}\n".encode()


def log_file_name(charge_box_id: str, log_type: str, request_id: int) -> str:
    return f"{log_type}-{charge_box_id}-{request_id}.log"[:255]


def signer_trusted(signing_certificate: str | None) -> bool:
    """Whether a signed firmware's signing certificate is one the charger can read (unsigned: nothing to check)."""
    if signing_certificate is None:
        return True
    try:
        x509.load_pem_x509_certificate(signing_certificate.encode())
    except ValueError:
        return False
    return True


def signature_readable(signature: str) -> bool:
    """A simulated check of the firmware's signature: it must at least be base64."""
    try:
        return bool(base64.b64decode(signature, validate=True))
    except binascii.Error:
        return False
