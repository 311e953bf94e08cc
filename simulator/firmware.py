"""Firmware updates and file uploads as every simulated charger goes through them, a step of
`firmware_step` seconds each; each version tells every step in its own notification (`notify`)."""

import asyncio
from collections.abc import Awaitable, Callable

from simulator.charger import firmware_version_from

Notify = Callable[[str], Awaitable[None]]


class Firmware:
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

    async def _upload(self, notify: Notify) -> None:
        await notify("Uploading")
        await asyncio.sleep(self.firmware_step)
        await notify("Uploaded")
