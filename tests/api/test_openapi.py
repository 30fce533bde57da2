"""The OpenAPI document and the interactive docs page, served by the app with no internet."""
from __future__ import annotations

import re


def test_the_openapi_document_covers_every_route_of_the_contract(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    for expected in [("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/api/auth/register"), ("POST", "/api/auth/login"), ("GET", "/api/users/me"),
                     ("PATCH", "/api/users/me"), ("DELETE", "/api/users/me"), ("GET", "/api/titles"),
                     ("GET", "/api/titles/{title_id}"), ("GET", "/api/genres"), ("POST", "/api/titles"),
                     ("PATCH", "/api/titles/{title_id}"), ("DELETE", "/api/titles/{title_id}"),
                     ("POST", "/api/progress/log"), ("GET", "/api/progress/{user_id}"),
                     ("PUT", "/api/progress/log/{log_id}"), ("DELETE", "/api/progress/log/{log_id}"),
                     ("GET", "/api/progress/{user_id}/export"), ("DELETE", "/api/progress/user/{user_id}/logs"),
                     ("GET", "/api/progress/{user_id}/trackers"), ("GET", "/api/progress/{user_id}/trackers/{title_id}"),
                     ("PUT", "/api/progress/{user_id}/trackers/{title_id}"),
                     ("DELETE", "/api/progress/{user_id}/trackers/{title_id}"),
                     ("POST", "/api/progress/{user_id}/trackers/{title_id}/rollback"),
                     ("GET", "/api/progress/{user_id}/trackers/{title_id}/passes"),
                     ("GET", "/api/progress/{user_id}/history"), ("GET", "/api/progress/summary/{user_id}"),
                     ("GET", "/api/titles/{title_id}/report"), ("GET", "/api/reports/kinds/{kind}")]:
        assert expected in operations, expected
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}


def test_the_docs_page_loads_only_assets_the_app_serves(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [url for url in assets if url.startswith(("http://", "https://", "//"))]
    for url in assets:
        response = client.get(url)
        response.close()  # static files stream from disk
        assert response.status_code == 200, url
    assert "/api/openapi.json" in html
