"""Answers computed from the registry's facts, kept while the facts are the same ones.

An answer is kept under the data version it was computed at (app/models/versions.py),
read in the same transaction before the answer was computed: the answer then reflects
that version or a later one, never an earlier one, so a request that finds it under its
own version is never given a stale figure. A new version empties the cache; a request
that still sees an older version (it began before a write) computes its answer and keeps
nothing.

One cache per running app (made in its lifespan), shared by the worker threads.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# What the kept answers may weigh together, in the caller's unit (`weigh`): for totals, lines.
# A totals line takes 1.2 KB in memory (15,261 lines, 18 MB) and its JSON 1.2 KB more (889
# lines, 1.07 MB), so the cache stays under 60 MB.
MAX_WEIGHT = 25_000


def _one(_answer: Any) -> int:
    return 1


class VersionedCache:
    def __init__(self, max_weight: int = MAX_WEIGHT, weigh: Callable[[Any], int] = _one) -> None:
        self.max_weight = max_weight
        self.weigh = weigh
        self._version: int | None = None
        self._answers: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def get_or_make(self, version: int, key: Hashable, make: Callable[[], Any]) -> Any:
        """The answer kept for `key` at `version`, or `make()`'s, kept. Callers must not
        change an answer: it is shared with every request that asks the same."""
        answer = self.get(version, key)
        if answer is None:
            answer = make()
            self.keep(version, key, answer)
        return answer

    def get(self, version: int, key: Hashable) -> Any | None:
        """The answer kept for `key` at `version`, or None (no answer is None). A version
        newer than the kept answers' empties the cache."""
        with self._lock:
            if self._version is None or version > self._version:
                self._answers.clear()
                self._weight = 0
                self._version = version
            if version == self._version and key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key][0]
        return None

    def holds(self, key: Hashable) -> bool:
        """Whether an answer is kept for `key` at the newest version seen: if none is, no
        request need read the version to look for one."""
        return key in self._answers

    def keep(self, version: int, key: Hashable, answer: Any) -> None:
        """Keeps `answer`, made at `version`, unless a newer version has been seen (the
        answer may be stale) or it alone outweighs the cache. A newer version than the
        kept answers' empties the cache, as in `get`."""
        weight = self.weigh(answer)
        with self._lock:
            if self._version is None or version > self._version:
                self._answers.clear()
                self._weight = 0
                self._version = version
            if version == self._version and key not in self._answers and weight <= self.max_weight:
                self._answers[key] = (answer, weight)
                self._weight += weight
                while self._weight > self.max_weight:  # the least recently asked go first
                    _, (_, dropped) = self._answers.popitem(last=False)
                    self._weight -= dropped
