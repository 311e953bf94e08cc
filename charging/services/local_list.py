"""Local authorization lists: what each charger should hold (the organisation's id tags) and what it confirmed.

The CSMS sends lists through the command bus (commands.services.local_list_sync); this module
plans the next SendLocalList and records the charger's answers.
"""

from dataclasses import dataclass

from django.utils import timezone

from chargers.models import Charger
from charging.models import ChargerLocalList, IdTag

# A differential update larger than this share of the whole list is sent as a Full one instead.
DIFFERENTIAL_MAX_SHARE = 0.5


@dataclass(frozen=True)
class LocalListPlan:
    version: int
    update_type: str  # Full | Differential
    entries: list[dict]  # localAuthorizationList as sent
    wanted: dict[str, dict]  # idTag -> idTagInfo, the whole list after the update

    @property
    def payload(self) -> dict:
        return {"listVersion": self.version, "updateType": self.update_type, "localAuthorizationList": self.entries}


def local_list_wanted(*, organisation_id: int) -> dict[str, dict]:
    """Every id tag of the organisation with the idTagInfo a charger should answer offline."""
    now = timezone.now()
    wanted = {}
    for tag in IdTag.objects.filter(organisation_id=organisation_id).select_related("parent").order_by("id_tag"):
        status = tag.status
        if status == IdTag.Status.ACCEPTED and tag.expiry_date and tag.expiry_date <= now:
            status = IdTag.Status.EXPIRED
        info = {"status": status}
        if tag.expiry_date:
            info["expiryDate"] = tag.expiry_date.isoformat().replace("+00:00", "Z")
        if tag.parent:
            info["parentIdTag"] = tag.parent.id_tag
        wanted[tag.id_tag] = info
    return wanted


def local_list_of(charger: Charger) -> ChargerLocalList:
    return ChargerLocalList.objects.get_or_create(charger=charger)[0]


def local_list_plan(*, charger: Charger, update_type: str | None = None) -> LocalListPlan | None:
    """The next SendLocalList for the charger, or None when it holds the list already.

    Full when the confirmed version is unknown, when asked, or when the changes are more than
    DIFFERENTIAL_MAX_SHARE of the list; else Differential with only the changes since the
    confirmed version (a removed tag is sent without idTagInfo, which deletes it).
    """
    held = local_list_of(charger)
    wanted = local_list_wanted(organisation_id=charger.organisation_id)
    # Above any version the charger reported too, so that its list and ours never share a number by chance.
    version = max(held.version or 0, held.reported_version or 0) + 1
    full = LocalListPlan(version, "Full", [_entry(t, i) for t, i in wanted.items()], wanted)
    if held.version is None or update_type == "Full":
        return full
    changes = [_entry(t, i) for t, i in wanted.items() if held.entries.get(t) != i]
    changes += [{"idTag": t} for t in sorted(held.entries) if t not in wanted]
    if update_type is None and len(changes) > DIFFERENTIAL_MAX_SHARE * max(len(wanted), 1):
        return full
    if not changes and update_type is None:
        return None
    return LocalListPlan(version, "Differential", changes, wanted)


def _entry(id_tag: str, info: dict) -> dict:
    return {"idTag": id_tag, "idTagInfo": info}


def local_list_sent(*, charger: Charger, payload: dict, status: str) -> None:
    """Record a SendLocalList answer. Accepted: the charger holds that version with those entries.
    VersionMismatch or Failed: we no longer know what it holds, so the next sync is Full."""
    held = local_list_of(charger)
    if status == "Accepted":
        entries = {} if payload.get("updateType") == "Full" else dict(held.entries)
        for item in payload.get("localAuthorizationList") or []:
            if "idTagInfo" in item:
                entries[item["idTag"]] = item["idTagInfo"]
            else:
                entries.pop(item["idTag"], None)
        held.version, held.entries = payload["listVersion"], entries
    elif status in {"VersionMismatch", "Failed"}:
        held.version, held.entries = None, {}
    else:
        return  # NotSupported: nothing changed on the charger.
    held.confirmed_at = timezone.now()
    held.save()


def local_list_version_record(*, charger: Charger, version: int) -> None:
    """Record a GetLocalListVersion answer. 0 is an empty list; another version than the one we
    know the contents of leaves the contents unknown (the next sync is Full)."""
    held = local_list_of(charger)
    held.reported_version = version
    if version == 0:
        held.version, held.entries = 0, {}
    elif version != held.version:
        held.version, held.entries = None, {}
    held.confirmed_at = timezone.now()
    held.save()
