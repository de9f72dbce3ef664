"""Chart images (SVG and PNG) drawn once per data version and kept, drawn away from the
reads: one app's `ChartImages` (made in its lifespan, `app.state.chart_images`).

- Kept: an image is kept under the data version its figures were read at, like the totals
  (app/http/answers.py), in at most MAX_BYTES; the second request for the same chart at the
  same version is answered from memory, and a new version draws it anew.
- Bounded: at most DRAWINGS_AT_ONCE drawings at a time per server process, and at most
  MAX_WAITING requests waiting for their turn; one more is a 503 with Retry-After. A request
  that waited for a chart that another drew meanwhile takes the kept one; and while a chart
  waits to be drawn, its plan (what the first request read to draw it) is kept too, so the
  same request again reads no figures: a crowd asking for one chart after a write reads
  them once, and draws it once.
- Away from the reads: a drawing runs in a worker process (anyio's process pool, one per
  event loop: started by the first drawing, stopped with the server), because vl-convert
  holds the GIL while it draws (app/pages/drawing.py). The request has read its figures and
  released its database connection before it waits its turn, so a drawing holds neither a
  connection nor the worker thread that serves the reads.

Before this, on the seed data, 16 PNG requests at once held every pooled connection while
they queued for the one worker thread: one of them failed after 30 s (a 500, the pool's
timeout) and a read waited 32 s behind them (bench/charts.py).
"""

import logging
import sys
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from anyio import BrokenWorkerProcess, CapacityLimiter, to_process

from app.errors import ServiceUnavailableError
from app.http.answers import VersionedCache

logger = logging.getLogger(__name__)

# A PNG of the seed's chart weighs 210 KB; of 200,000 demo reports' largest chart, 740 KB:
# 32 MB keeps 40 of those or 150 of these, and more SVGs.
MAX_BYTES = 32 * 1024 * 1024
# One: the drawing process takes a core while it draws, and the machine's others serve reads.
DRAWINGS_AT_ONCE = 1
# A drawing takes 0.2-1.5 s: the last of 32 waiting is answered within a minute at worst.
MAX_WAITING = 32
RETRY_AFTER_SECONDS = 5
# Charts read and waiting to be drawn, kept by data version too (at 200,000 reports a
# chart's plan is about 100 KB and its figures take 0.17 s to read).
MAX_PLANS = 64

Image = TypeVar("Image", bytes, str)


class ChartImages:
    def __init__(
        self,
        *,
        max_bytes: int = MAX_BYTES,
        at_once: int = DRAWINGS_AT_ONCE,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self.kept = VersionedCache(max_weight=max_bytes, weigh=sys.getsizeof)
        self.plans = VersionedCache(max_weight=MAX_PLANS)
        self.turns = CapacityLimiter(at_once)
        self.max_waiting = max_waiting
        self.drawn = 0  # drawings started: what the tests count

    def kept_image(self, version: int, key: Hashable) -> bytes | str | None:
        image: bytes | str | None = self.kept.get(version, key)
        return image

    async def image(
        self, version: int, key: Hashable, draw: Callable[..., Image], *args: object
    ) -> Image:
        """The image kept for `key` at `version`, else `draw(*args)`'s, drawn in the worker
        process when its turn comes and kept. `args` go to that process pickled."""
        if (kept := self.kept.get(version, key)) is not None:
            return cast(Image, kept)
        turns = self.turns.statistics()
        if turns.borrowed_tokens >= turns.total_tokens and turns.tasks_waiting >= self.max_waiting:
            raise ServiceUnavailableError(
                f"the server is drawing other charts ({self.max_waiting} are waiting); "
                f"ask again in {RETRY_AFTER_SECONDS} seconds",
                retry_after=RETRY_AFTER_SECONDS,
            )
        async with self.turns:
            if (kept := self.kept.get(version, key)) is not None:  # drawn while this waited
                return cast(Image, kept)
            self.drawn += 1
            image = await self._drawn(draw, *args)
        # The drawing is shielded from cancellation: the image of a request whose client
        # went away is kept all the same, for the next one.
        self.kept.keep(version, key, image)
        return image

    async def _drawn(self, draw: Callable[..., Image], *args: object) -> Image:
        # `turns` bounds the drawings; the pool's own limiter (one per core) never binds.
        try:
            image: Image = await to_process.run_sync(draw, *args)
        except BrokenWorkerProcess:
            # The process died (killed, out of memory): the next drawing starts another.
            logger.exception("the chart drawing process failed")
            raise ServiceUnavailableError(
                "the chart could not be drawn: its drawing process failed; ask again",
                retry_after=RETRY_AFTER_SECONDS,
            ) from None
        return image
