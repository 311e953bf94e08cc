"""The OCPP 1.6 Security Whitepaper (edition 3) as a simulated 1.6J charger speaks it: ExtendedTriggerMessage,
SignCertificate and CertificateSigned, the root certificates' commands, GetLog with LogStatusNotification,
SignedUpdateFirmware with SignedFirmwareStatusNotification, and the configuration keys that rotate its password
(AuthorizationKey), move it to a higher security profile (SecurityProfile) and name its organisation (CpoName).

Mixed into `SimulatedCharger` before its configuration, over what both versions share (`security.py`).
"""

from ocpp.routing import after
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from simulator.charger import answers
from simulator.clock import parse_time, until
from simulator.firmware import log_file_name, signature_readable, signer_trusted
from simulator.security import Security


class Security16(Security):
    CSMS_ROOT = "CentralSystemRootCertificate"
    INVALID_CSMS_CERTIFICATE = "InvalidCentralSystemCertificate"
    PROFILE_SETTING = "SecurityProfile"
    ORGANISATION_SETTING = "CpoName"
    signed_firmware_status, signed_firmware_request_id = "Idle", None

    def security_setting(self, name: str):
        return self.configuration[name]

    # Messages the charger sends.

    async def sign_certificate(self) -> str:
        response = await self.call(call.SignCertificate(csr=self.csr_pem()), suppress=False)
        self.log.info("certificate signing request %s", response.status)
        return response.status

    async def signed_firmware_status_notification(self, status: str, request_id: int | None) -> None:
        self.signed_firmware_status, self.signed_firmware_request_id = status, request_id
        await self.call(call.SignedFirmwareStatusNotification(status=status, request_id=request_id), suppress=False)
        self.log.info("signed firmware: %s", status)

    # The configuration keys of the whitepaper.

    def setting_refused(self, key: str, value: str) -> bool:
        if key == "SecurityProfile":
            refusal = self.profile_upgrade_refusal(int(value))
            if refusal:
                self.log.info("security profile %s refused: %s", value, refusal)
            return refusal is not None
        return super().setting_refused(key, value)

    @after(Action.change_configuration)
    def after_change_configuration(self, key: str, value: str, **_):
        setting = self.configuration.get(key)
        if setting is None or setting.value != value:  # not accepted
            return
        if key == "AuthorizationKey":
            self.password_changed(value)
        elif key == "SecurityProfile" and int(value) != self.credentials.profile:
            self.profile_upgrade(int(value))
            self._spawn(self.reconnect(f"security profile {value}"))

    # Commands from the CSMS.

    @answers(Action.extended_trigger_message)
    def on_extended_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        status = self._trigger_status(requested_message, connector_id, self._extended_triggers())
        return call_result.ExtendedTriggerMessage(status=status)

    @after(Action.extended_trigger_message)
    def after_extended_trigger_message(self, requested_message: str, connector_id: int | None = None, **_):
        send = self._extended_triggers().get(requested_message)
        if send is not None and self._triggerable(connector_id):
            self._spawn(send(connector_id))

    def _extended_triggers(self) -> dict:
        plain = self._triggers()
        return {
            name: plain[name] for name in ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues")
        } | {
            "LogStatusNotification": lambda _: self.log_status_notification(self.log_status, self.log_request_id),
            "FirmwareStatusNotification": lambda _: self.signed_firmware_status_notification(
                self.signed_firmware_status, self.signed_firmware_request_id
            ),
            "SignChargePointCertificate": lambda _: self.sign_certificate(),
        }

    @answers(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, certificate_type: str, **_):
        found = [hashes for _, hashes in self.certificates_of([certificate_type])]
        if not found:
            return call_result.GetInstalledCertificateIds(status="NotFound")
        return call_result.GetInstalledCertificateIds(status="Accepted", certificate_hash_data=found)

    @answers(Action.get_log)
    def on_get_log(self, log_type: str, request_id: int, log: dict, **_):
        return call_result.GetLog(status="Accepted", filename=log_file_name(self.id, log_type, request_id))

    @after(Action.get_log)
    def after_get_log(self, log_type: str, request_id: int, log: dict, **_):
        notify = lambda status: self.log_status_notification(status, request_id)  # noqa: E731
        self._spawn(
            self._upload(notify, log["remote_location"], log_file_name(self.id, log_type, request_id), "UploadFailure")
        )

    @answers(Action.signed_update_firmware)
    def on_signed_update_firmware(self, request_id: int, firmware: dict, **_):
        if not signer_trusted(firmware["signing_certificate"]):
            return call_result.SignedUpdateFirmware(status="InvalidCertificate")
        return call_result.SignedUpdateFirmware(status="Accepted")

    @after(Action.signed_update_firmware)
    def after_signed_update_firmware(self, request_id: int, firmware: dict, **_):
        if signer_trusted(firmware["signing_certificate"]):
            self._spawn(self._signed_update(request_id, firmware))

    async def _signed_update(self, request_id: int, firmware: dict) -> None:
        async def notify(status: str) -> None:
            await self.signed_firmware_status_notification(status, request_id)

        await until(parse_time(firmware["retrieve_date_time"]))
        await self._download(notify)
        if not signature_readable(firmware["signature"]):
            await notify("InvalidSignature")
            return
        await notify("SignatureVerified")
        await self._install_firmware(notify, firmware["location"])
        await notify("Installed")
        self.signed_firmware_status = "Idle"
        await self.reboot("signed firmware update")
        await self.security_event("FirmwareUpdated", self.firmware_version)
