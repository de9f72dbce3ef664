"""The API docs at /docs: Swagger UI from the files fastapi-offline ships, with FastAPI's
options, started by a file of the server's (/assets/docs.js) instead of FastAPI's inline
script, so the docs' Content-Security-Policy runs the server's files alone (app/security.py).
There is no ReDoc: its bundle draws a badge from Redocly's CDN, with no option to leave it
out, and the docs load nothing from another host; /redoc sends its readers to /docs."""

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

OFFLINE_FILES = "/static-offline-docs"  # where fastapi-offline serves Swagger UI's files

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link type="text/css" rel="stylesheet" href="{root}{files}/swagger-ui.css">
<link rel="shortcut icon" href="{root}{files}/favicon.png">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{root}{openapi_url}"></div>
<script src="{root}{files}/swagger-ui-bundle.js"></script>
<script src="{root}/assets/docs.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """Serves /docs; the app is made with `docs_url=None`, so fastapi-offline's page, with
    its inline script, and its OAuth2 redirect page (no API key needs one) are not there."""
    assert app.openapi_url is not None

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        # As fastapi-offline has it: a server mounted under a prefix (uvicorn --root-path).
        root = request.scope.get("root_path", "")
        page = PAGE.format(
            root=escape(root),
            files=OFFLINE_FILES,
            openapi_url=escape(str(app.openapi_url)),
            title=escape(f"{app.title} - Swagger UI"),
        )
        return HTMLResponse(page)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> RedirectResponse:
        # ReDoc's old address, kept for the links to it: the same document, in Swagger UI.
        return RedirectResponse("/docs", status_code=301)
