"""DataTransfer vendor handlers that test servers load through CSMS_DATA_TRANSFER_HANDLERS."""

from chargers.models import Charger


def acme_echo(*, charger_id: int, vendor_id: str, message_id: str, data: str) -> tuple[str, str]:
    charge_box_id = Charger.objects.values_list("charge_box_id", flat=True).get(pk=charger_id)
    return "Accepted", f"{charge_box_id}/{charger_id}: {data}"


def silent_reject(*, charger_id: int, vendor_id: str, message_id: str, data: str) -> tuple[str, str]:
    return "Rejected", ""
