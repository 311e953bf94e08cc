"""The dashboard's socket: forwards the fleet events (chargers.events) a staff user may see."""

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.scoping import operator_organisation_id
from chargers.events import FLEET_GROUP, organisation_group, watching_announce


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    group = ""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not (user.is_authenticated and user.is_active and user.is_staff):
            await self.close()
            return
        organisation_id = await database_sync_to_async(operator_organisation_id)(user)
        self.group = FLEET_GROUP if organisation_id is None else organisation_group(organisation_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await sync_to_async(watching_announce)(self.group)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The page pings now and then; joining and announcing again keep membership and events coming.
        if self.group and content.get("type") == "ping":
            await self.channel_layer.group_add(self.group, self.channel_name)
            await sync_to_async(watching_announce)(self.group)

    async def fleet_event(self, message):
        await self.send_json(message["event"])
