"""OCPP 2.0.1's security blocks as a simulated station speaks them: TriggerMessage
SignChargingStationCertificate with SignCertificate, CertificateSigned, the root certificates' commands,
SetNetworkProfile and OCPPCommCtrlr.NetworkConfigurationPriority (a higher profile tried first at the next
boot, the one before it if that fails), and SecurityCtrlr's BasicAuthPassword and OrganizationName.

Mixed into `SimulatedCharger201` first, over what both versions share (`security.py`).
"""

import functools

from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from simulator.charger import answers
from simulator.security import Route, Security

PRIORITY = "OCPPCommCtrlr.NetworkConfigurationPriority"


class Security201(Security):
    @functools.cached_property
    def network_slots(self) -> dict[int, dict]:
        """The connections the CSMS set (SetNetworkProfile), by configuration slot."""
        return {}

    def security_setting(self, name: str):
        return self.device_model[name]

    async def connect(self) -> None:
        """On the slots in their priority, each one falling back to the next."""
        if not self.credentials.routes:
            self.credentials.routes = self._priority_routes()
        await super().connect()

    def _priority_routes(self) -> list[Route]:
        routes = []
        for slot in self.device_model.members(PRIORITY):
            connection = self.network_slots.get(int(slot)) if slot.isdigit() else None
            if connection is None:
                route = self._route()
            elif connection["security_profile"] >= 2:
                # The operator's --tls-url, if given, is how this machine reaches the CSMS's TLS proxy.
                route = Route(
                    connection["security_profile"], self.credentials.secure_url or connection["ocpp_csms_url"]
                )
            else:
                route = Route(connection["security_profile"], connection["ocpp_csms_url"])
            if route not in routes:
                routes.append(route)
        return routes or [self._route()]

    async def sign_certificate(self) -> str:
        request = call.SignCertificate(csr=self.csr_pem(), certificate_type="ChargingStationCertificate")
        response = await self.call(request, suppress=False)
        self.log.info("certificate signing request %s", response.status)
        return response.status

    def _triggers(self) -> dict:
        return super()._triggers() | {"SignChargingStationCertificate": lambda _: self.sign_certificate()}

    def _variable_changed(self, variable) -> None:
        if variable.key == "SecurityCtrlr.BasicAuthPassword":
            self.password_changed(variable.value)
        super()._variable_changed(variable)

    @answers(Action.set_network_profile)
    def on_set_network_profile(self, configuration_slot: int, connection_data: dict, **_):
        refusal = self.profile_upgrade_refusal(connection_data["security_profile"], connection_data["ocpp_csms_url"])
        if refusal:
            self.log.info("network profile %s refused: %s", configuration_slot, refusal)
            return call_result.SetNetworkProfile(status="Rejected")
        self.network_slots[configuration_slot] = connection_data
        return call_result.SetNetworkProfile(status="Accepted")

    @answers(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, certificate_type: list[str] | None = None, **_):
        found = [
            {"certificate_type": kind, "certificate_hash_data": hashes}
            for kind, hashes in self.certificates_of(certificate_type)
        ]
        if not found:
            return call_result.GetInstalledCertificateIds(status="NotFound")
        return call_result.GetInstalledCertificateIds(status="Accepted", certificate_hash_data_chain=found)
