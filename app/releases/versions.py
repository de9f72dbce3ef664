"""Semantic versions (semver.org 2.0.0), as a release is numbered: read and ordered.

Build metadata (`+build.5`) is refused: semver gives it no order, so two releases could
not be told apart by it, and `+` in a URL path is a plain character a client may encode.
"""

import re
from dataclasses import dataclass
from functools import total_ordering

# semver.org's own expression, without build metadata.
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$"
)
MAX_LENGTH = 64


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> "Version":
        """Raises ValueError with a message a person can act on."""
        found = _SEMVER.match(text) if len(text) <= MAX_LENGTH else None
        if found is None:
            raise ValueError(
                f"{text[:MAX_LENGTH]!r} is not a semantic version: give MAJOR.MINOR.PATCH, "
                "such as 1.0.0 or 1.1.0-rc.1 (no leading zeros, no build metadata)"
            )
        major, minor, patch, pre = found.groups()
        return cls(int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else ())

    def _key(self) -> tuple[object, ...]:
        # A pre-release comes before its release; its identifiers compare numerically when
        # both are numbers, a number before a word, words in ASCII order; more fields win.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, not self.pre, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{'.'.join(self.pre)}" if self.pre else core
