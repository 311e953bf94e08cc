"""Authorization as every simulated charger does it: the local list, the authorization cache, and
asking the CSMS when neither settles it.

Mixed into each version's charger, which supplies how it names an id tag (`id_tag_of`), how it asks
the CSMS (`ask_authorization`) and the settings shared code asks about (`flag`).
"""

from simulator.charger import answers


class Authorization:
    async def authorize(self, token) -> str:
        """The id tag's status: from the local list or cache when pre-authorising locally, else from the CSMS."""
        id_tag = self.id_tag_of(token)
        if self.flag("local_pre_authorize"):
            known = self.local_list.get(id_tag) or self.authorization_cache.get(id_tag)
            if known and known.get("status") == "Accepted":
                self.log.info("authorised %s locally", id_tag)
                return "Accepted"
        info = await self.ask_authorization(token)
        if self.flag("authorization_cache"):
            self.authorization_cache[id_tag] = info
        self.log.info("authorised %s: %s", id_tag, info["status"])
        return info["status"]

    def _update_local_list(
        self, version: int, update_type: str, entries: list[tuple[str, dict | None]], capacity: int | None = None
    ) -> str:
        """SendLocalList's status: entries are (id tag, its info, or None to remove it)."""
        if update_type == "Differential" and version <= self.local_list_version:
            return "VersionMismatch"
        updated = {} if update_type == "Full" else dict(self.local_list)
        for id_tag, info in entries:
            if info:
                updated[id_tag] = info
            else:
                updated.pop(id_tag, None)
        if capacity is not None and len(updated) > capacity:
            return "Failed"
        self.local_list, self.local_list_version = updated, version
        return "Accepted"

    @answers("ClearCache")
    def on_clear_cache(self, **_):
        if not self.flag("authorization_cache"):
            return self._call_result.ClearCache(status="Rejected")
        self.authorization_cache.clear()
        return self._call_result.ClearCache(status="Accepted")
