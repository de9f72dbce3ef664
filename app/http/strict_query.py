"""No silent query parameters: a query parameter the endpoint does not declare is a 422
naming it (`substnce`: did you mean `substance`?), not a filter quietly ignored, and so is a
parameter given twice where one value is meant (`year=2018&year=2019`). A parameter declared
as a list (a sequence type) may be repeated.

What an endpoint takes is what its route declares, through its handler, every dependency and
the routers it is included with (the dependant FastAPI solves for it), under the names a
client sends (aliases such as `from`). It is read once per route, for the whole app at start
(`install`), and looked up per request by the route FastAPI matched (`scope["route"]`). The
check reads nothing else, so a parameter added to a route is accepted the moment it is
declared, and the OpenAPI document is untouched (the dependency declares no parameter).

It is a router dependency (app/main.py), on /api/v1 and /healthz. The pages of the docs
(/docs, /openapi.json and Swagger UI's OAuth redirect, which receives the OAuth
parameters) are left lenient: they filter nothing, so nothing can be silently ignored there.
"""

import difflib
from dataclasses import dataclass
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi._compat import ModelField, field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params, get_validation_alias
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import AliasChoices, BaseModel

from app.errors import InvalidParameterError
from app.http.as_of import NOT_HERE, takes_as_of
from app.http.as_of import PARAMETER as AS_OF


@dataclass(frozen=True, slots=True)
class QueryRules:
    """The query parameters a route reads, under the names a client sends."""

    names: tuple[str, ...]  # in the order they are declared, for messages
    accepted: frozenset[str]
    repeatable: frozenset[str]  # declared as a sequence: `group_by=year&group_by=stage`
    any_name: bool = False  # a query model that allows extra fields takes any name


def install(app: FastAPI) -> None:
    """Reads the query parameters of every route of `app`; call it once the routers are in.

    FastAPI (0.150 and later) keeps an included router's routes as they are, and solves a
    request with the dependant of the route *as included* (with the routers' dependencies),
    which is what is read here, by the route object a request's `scope["route"]` names (a
    router included twice, with other dependencies each time, would need a finer key)."""
    app.state.query_rules = {
        id(context.original_route): route_rules(context.original_route, context.dependant)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    }


def route_rules(route: APIRoute, dependant: Dependant) -> QueryRules:
    """What the route's dependant declares; `as_of` only where the record is read (its
    dependency is the router's, on writes too: app/http/as_of.py)."""
    rules = rules_of(dependant)
    if AS_OF not in rules.accepted or takes_as_of(route):
        return rules
    names = tuple(name for name in rules.names if name != AS_OF)
    return QueryRules(names, rules.accepted - {AS_OF}, rules.repeatable, rules.any_name)


def query_rules(request: Request, route: APIRoute) -> QueryRules:
    """The rules of the route a request matched; a route added after `install` (or an app
    that never called it) is read on its first request and kept."""
    table: dict[int, QueryRules] | None = getattr(request.app.state, "query_rules", None)
    if table is None or id(route) not in table:
        install(request.app)
        table = request.app.state.query_rules
        assert table is not None
        if id(route) not in table:  # not reachable from app.routes: read the route itself
            table[id(route)] = route_rules(route, route.dependant)
    return table[id(route)]


def rules_of(dependant: Dependant) -> QueryRules:
    declared = _query_fields(dependant)
    names: dict[str, None] = {}  # ordered, without repeats
    repeatable = set()
    for field in get_flat_params(Dependant(query_params=declared)):
        for name in _request_names(field):
            names[name] = None
            if field_annotation_is_sequence(field.field_info.annotation):
                repeatable.add(name)
    any_name = any(_allows_extra(field) for field in declared)
    return QueryRules(tuple(names), frozenset(names), frozenset(repeatable), any_name)


def _query_fields(dependant: Dependant) -> list[ModelField]:
    """The query parameters of the dependant and of every dependency under it."""
    fields: list[ModelField] = []
    seen: set[int] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        fields.extend(current.query_params)
        pending.extend(reversed(current.dependencies))  # in the order of the OpenAPI document
    return fields


def _request_names(field: ModelField) -> list[str]:
    """The names a client may send the field under: its alias (`from` for `date_from`),
    the choices of an `AliasChoices`, and its own name where its model allows that."""
    names = [get_validation_alias(field)]
    choices = field.field_info.validation_alias
    if isinstance(choices, AliasChoices):
        names += [choice for choice in choices.choices if isinstance(choice, str)]
    config: Any = field.config or {}
    if config.get("validate_by_name", config.get("populate_by_name", False)):
        names.append(field.name)
    return names


def _allows_extra(field: ModelField) -> bool:
    annotation = field.field_info.annotation
    if type(None) in get_args(annotation):  # `Model | None`
        annotation = next((arg for arg in get_args(annotation) if arg is not type(None)), None)
    return (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and annotation.model_config.get("extra") == "allow"
    )


MAX_NAMED = 20  # parameters named in one answer: a query of thousands makes no huge body
LONGEST_NAME = 64  # longer than any a route declares: no suggestion is looked for


async def refuse_unknown_query_parameters(request: Request) -> None:
    """422 for a query parameter the route does not take, or one given more often than it
    takes values; every such parameter (up to MAX_NAMED) is named in one response.
    `async def`: it does no I/O, so it needs no worker thread (app/deps.py)."""
    if not request.scope["query_string"]:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    rules = query_rules(request, route)
    params = request.query_params
    items = params.multi_items()
    if rules.any_name or (len(items) == len(params) and rules.accepted.issuperset(params)):
        return  # the usual request: every name known, none repeated
    problems: dict[str, str] = {}
    for name, _ in items:
        if name in problems:
            continue
        if len(problems) == MAX_NAMED:
            break
        if name not in rules.accepted:
            problems[name] = unknown_message(name, rules.names)
        elif name not in rules.repeatable and (times := len(params.getlist(name))) > 1:
            problems[name] = f"given {times} times, but it takes one value"
    if not problems:
        return  # a list parameter repeated
    first, *rest = problems.items()
    raise InvalidParameterError(*first, also=rest)


def unknown_message(name: str, accepted: tuple[str, ...]) -> str:
    """`unknown query parameter`, with the closest accepted name, or else all of them."""
    if name == AS_OF:  # known, but not here
        return NOT_HERE
    close = len(name) <= LONGEST_NAME and difflib.get_close_matches(name.lower(), accepted, n=1)
    if close:
        return f"unknown query parameter; did you mean `{close[0]}`?"
    if not accepted:
        return "unknown query parameter; this endpoint takes none"
    listed = ", ".join(f"`{each}`" for each in accepted)
    return f"unknown query parameter; this endpoint takes {listed}"
