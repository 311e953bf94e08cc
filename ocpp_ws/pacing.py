"""A charger's frames, paced: a token bucket per connection.

A charger within its allowance (CSMS_FRAME_RATE frames per second, bursts of
CSMS_FRAME_BURST) is never slowed. Beyond it, its next frame waits for a token: its
answers come slower, nothing is refused or lost, and since a connection's frames are
handled one after another, only that charger waits. A charger still over its
allowance after CSMS_FRAME_FLOOD_SECONDS of pacing is flooding, not catching up on a
backlog, and is disconnected.
"""

import asyncio


class FramePacer:
    def __init__(self, *, rate: float, burst: float, flood_seconds: float, loop: asyncio.AbstractEventLoop):
        self.rate, self.burst, self.flood_seconds, self.loop = rate, burst, flood_seconds, loop
        self.tokens = burst
        self.counted_at = loop.time()
        self.paced_since: float | None = None

    async def admit(self) -> bool:
        """Wait until the next frame may be handled; False when the charger is flooding."""
        now = self.loop.time()
        self.tokens = min(self.burst, self.tokens + (now - self.counted_at) * self.rate)
        self.counted_at = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.paced_since = None
            return True
        if self.paced_since is None:
            self.paced_since = now
        elif now - self.paced_since > self.flood_seconds:
            return False
        await asyncio.sleep((1 - self.tokens) / self.rate)
        self.tokens, self.counted_at = 0.0, self.loop.time()
        return True
