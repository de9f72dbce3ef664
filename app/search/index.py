"""Finding things by name: the names and aliases of every kind the registry holds, matched
whole, as a part, in another word form ("героина" finds «Героин») or with a small
misspelling ("herion" finds heroin).

A query and a name are folded (case, ё) and cut into words; each word is stemmed with the
Snowball stemmer of its script (Russian for Cyrillic, English for Latin), so that the
endings of a case or a plural do not stand between a query and a name. A word that matches
no name's word is compared by edit distance (a swap of two letters counts as one edit),
allowing one edit in a word of 5-8 letters and two from 9: fewer than that, and a short
word (`Iran`) would find another (`Iraq`).

Tiers rank the matches, each below the one before: the whole name, a part of a name, every
word in some form, and every word within the allowed edits.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.models.base import fold

WORD = re.compile(r"\w+")
CYRILLIC = re.compile(r"[а-я]")
MIN_QUERY = 2  # characters, spaces aside: one letter matches half the registry


class Tier(IntEnum):
    """How a name matched, best first."""

    exact = 0  # the whole name or alias
    part = 1  # a part of it, as typed
    word_form = 2  # every word of the query, in some form
    fuzzy = 3  # every word, within the allowed edits


@dataclass(frozen=True)
class Term:
    """One name of an entry, as written, with its folded text and its words' stems."""

    text: str
    folded: str
    stems: tuple[str, ...]
    primary: bool  # the entry's own name, not an alias, a place or a publisher


@dataclass
class Entry:
    """A thing to find: its kind, what the answer says of it, and its names."""

    kind: str
    order: int  # the kind's own order (by date, by name): ties within a tier keep it
    item: dict[str, Any]
    terms: list[Term] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    tier: Tier
    edits: int
    term: Term

    # The query's size, in characters for the name tiers and in words for the word tiers:
    # a name with less besides the query is a closer match.
    query_size: int

    def rank(self) -> tuple[int, int, int, int, int]:
        """Tier, edits, how much of the name is not the query, the name's own name before
        an alias or a place, then the kind's order."""
        rest = (
            len(self.term.stems) - self.query_size
            if self.tier >= Tier.word_form
            else len(self.term.folded) - self.query_size
        )
        return (
            self.tier,
            self.edits,
            max(rest, 0),
            0 if self.term.primary else 1,
            self.entry.order,
        )


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Any:
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A folded word's stem, by the stemmer of its script."""
    language = "russian" if CYRILLIC.search(word) else "english"
    return str(_stemmer(language).stemWord(word))


def words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def allowed_edits(word: str) -> int:
    if len(word) >= 9:
        return 2
    return 1 if len(word) >= 5 else 0


def term(text: str, *, primary: bool) -> Term:
    return Term(text, fold(text), tuple(stem(w) for w in words(text)), primary)


def terms(texts: Iterable[str | None], *, primary: bool = False) -> list[Term]:
    return [term(text, primary=primary) for text in texts if text and text.strip()]


class SearchIndex:
    """Every entry's names, with the stems of their words indexed for the word tiers."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        # stem -> (entry number, term number) of every name that has a word of that stem
        self._by_stem: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for number, entry in enumerate(self.entries):
            for position, name in enumerate(entry.terms):
                for word_stem in set(name.stems):
                    self._by_stem[word_stem].append((number, position))
        self._stems = list(self._by_stem)

    def find(self, query: str) -> list[Hit]:
        """Each matching entry once, by its best name, best first."""
        needle = fold(query)
        best: dict[int, Hit] = {}
        for number, entry in enumerate(self.entries):
            for name in entry.terms:
                if needle == name.folded:
                    _keep(best, number, Hit(entry, Tier.exact, 0, name, len(needle)))
                elif needle in name.folded:
                    _keep(best, number, Hit(entry, Tier.part, 0, name, len(needle)))
        query_words = words(query)
        for (number, position), (tier, edits) in self._word_matches(query_words).items():
            entry = self.entries[number]
            hit = Hit(entry, tier, edits, entry.terms[position], len(query_words))
            _keep(best, number, hit)
        return sorted(best.values(), key=Hit.rank)

    def _word_matches(self, query_words: list[str]) -> dict[tuple[int, int], tuple[Tier, int]]:
        """The names in which every query word has a word of its stem, or one within its
        allowed edits: each with its tier and the edits it took."""
        found: dict[tuple[int, int], tuple[Tier, int]] | None = None
        for word in query_words:
            matched: dict[tuple[int, int], tuple[Tier, int]] = {}
            for word_stem, edits in self._close_stems(word):
                tier = Tier.word_form if edits == 0 else Tier.fuzzy
                for place in self._by_stem[word_stem]:
                    if place not in matched or (tier, edits) < matched[place]:
                        matched[place] = (tier, edits)
            if found is None:
                found = matched
            else:  # every word must match, in the same name
                found = {
                    place: _worse(found[place], now)
                    for place, now in matched.items()
                    if place in found
                }
        return found or {}

    def _close_stems(self, word: str) -> list[tuple[str, int]]:
        """The indexed stems equal to the word's stem, and those within its allowed edits of
        the word or of its stem."""
        own = stem(word)
        close = {own: 0} if own in self._by_stem else {}
        limit = allowed_edits(word)
        if limit:
            for probe in {word, own}:
                for candidate, edits, _ in process.extract(
                    probe, self._stems, scorer=OSA.distance, score_cutoff=limit, limit=None
                ):
                    close[candidate] = min(int(edits), close.get(candidate, limit))
        return list(close.items())


def _worse(one: tuple[Tier, int], other: tuple[Tier, int]) -> tuple[Tier, int]:
    """A name's match is as good as its worst-matched word; edits add up."""
    return (max(one[0], other[0]), one[1] + other[1])


def _keep(best: dict[int, Hit], number: int, hit: Hit) -> None:
    if number not in best or hit.rank() < best[number].rank():
        best[number] = hit
