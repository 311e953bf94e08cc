"""OCPP 2.0.1 firmware updates and log uploads as a simulated station goes through them: scheduled
downloads and installs, a reboot into the new version, a FirmwareUpdated security event.

Mixed into `SimulatedCharger201` over the steps every version shares (`firmware.py`).
"""

from datetime import datetime

from ocpp.routing import after
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from simulator.charger import answers
from simulator.clock import iso, now, parse_time, until
from simulator.firmware import Firmware, log_file_name, signature_readable, signer_trusted


class Firmware201(Firmware):
    """UpdateFirmware and GetLog, with FirmwareStatusNotification and LogStatusNotification."""

    async def firmware_status_notification(self, status: str, request_id: int | None) -> None:
        self.firmware_status, self.firmware_request_id = status, request_id
        await self.call(call.FirmwareStatusNotification(status=status, request_id=request_id), suppress=False)
        self.log.info("firmware: %s", status)

    @answers(Action.update_firmware)
    def on_update_firmware(self, request_id: int, firmware: dict, **_):
        if not signer_trusted(firmware.get("signing_certificate")):
            return call_result.UpdateFirmware(status="InvalidCertificate")
        replacing = self._firmware is not None and not self._firmware.done()
        return call_result.UpdateFirmware(status="AcceptedCanceled" if replacing else "Accepted")

    @after(Action.update_firmware)
    def after_update_firmware(self, request_id: int, firmware: dict, **_):
        self._cancel(self._firmware)
        retrieve_at = parse_time(firmware["retrieve_date_time"])
        install_at = parse_time(firmware.get("install_date_time"))
        self._firmware = self._spawn(
            self._update_firmware(request_id, firmware["location"], retrieve_at, install_at, firmware.get("signature"))
        )

    async def _update_firmware(
        self, request_id: int, location: str, retrieve_at: datetime, install_at: datetime | None, signature=None
    ) -> None:
        async def notify(status: str) -> None:
            await self.firmware_status_notification(status, request_id)

        if retrieve_at > now():
            await notify("DownloadScheduled")
            await until(retrieve_at)
        await self._download(notify)
        if signature is not None:
            if not signature_readable(signature):
                await notify("InvalidSignature")
                self.firmware_status, self.firmware_request_id = "Idle", None
                return
            await notify("SignatureVerified")
        if install_at is not None and install_at > now():
            await notify("InstallScheduled")
            await until(install_at)
        await self._install_firmware(notify, location)
        await notify("InstallRebooting")
        await self.reboot("firmware update", boot_reason="FirmwareUpdate")
        await notify("Installed")
        await self.call(
            call.SecurityEventNotification(
                type="FirmwareUpdated", timestamp=iso(now()), tech_info=self.firmware_version
            ),
            suppress=False,
        )
        self.firmware_status, self.firmware_request_id = "Idle", None

    @answers(Action.get_log)
    def on_get_log(self, log: dict, log_type: str, request_id: int, **_):
        replacing = self._upload_task is not None and not self._upload_task.done()
        return call_result.GetLog(
            status="AcceptedCanceled" if replacing else "Accepted",
            filename=log_file_name(self.id, log_type, request_id),
        )

    @after(Action.get_log)
    def after_get_log(self, log: dict, log_type: str, request_id: int, **_):
        self._cancel(self._upload_task)
        file_name = log_file_name(self.id, log_type, request_id)
        self._upload_task = self._spawn(self._upload_log(request_id, log["remote_location"], file_name))

    async def _upload_log(self, request_id: int, location: str, file_name: str) -> None:
        notify = lambda status: self.log_status_notification(status, request_id)  # noqa: E731
        await self._upload(notify, location, file_name, failed="UploadFailure")
        self.log_status, self.log_request_id = "Idle", None
