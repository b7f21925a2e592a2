"""Swagger UI for the merged document, with Powertools' bundled assets (served gzip-compressed)."""

from functools import lru_cache
from pathlib import Path

import aws_lambda_powertools.event_handler as event_handler
from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

_ASSETS = Path(event_handler.__file__).parent / "openapi" / "swagger_ui"


@lru_cache(maxsize=1)
def swagger_page(document: str) -> str:
    return generate_swagger_html(
        spec=document.replace("</", "<\\/"),
        swagger_js=(_ASSETS / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(_ASSETS / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )
