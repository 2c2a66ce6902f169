"""The interactive API docs page, served from Swagger UI files shipped in a Python package.

FastAPI's own ``/docs`` loads Swagger UI from a CDN; mmpath needs no network at run time,
so the assets (Swagger UI 5, which reads OpenAPI 3.1) come from the ``fastapi-offline``
package's static files instead.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = resources.files("fastapi_offline").joinpath("static")

ASSETS = "/api/docs/assets"


def install(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=str(STATIC)), name="swagger-ui")

    def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="mmpath HTTP API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )

    for path in ("/docs", "/api/docs"):
        app.add_api_route(path, docs_page, methods=["GET"], include_in_schema=False)
