"""The one place an absolute URL of the registry is made, for pages and API answers alike."""

from fastapi import Request


def public_link(request: Request, path: str) -> str:
    """`path` (a path from the root, query included) as a client follows it: on
    KSOPN_PUBLIC_URL when it is set (`https://registry.example/api/v1/...`), else relative to
    the host (`/api/v1/...`). Never built from the request's Host or X-Forwarded-* headers,
    which any client can set, and a cache would then hand the links made for one client's
    headers to every other."""
    return f"{request.app.state.settings.public_url or ''}{path}"
