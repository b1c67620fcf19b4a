"""The console is served by the API process: one shell per page URL, assets from package data."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dab.api.main import create_app
from dab.settings import Settings

PAGES = [
    "/ui/",
    "/ui/signin",
    "/ui/capsules/urn:dab:dbt:model:jaffle_shop:orders",
    "/ui/capsules/urn:dab:dbt:source:jaffle_shop:a%2Fb",
    "/ui/lineage/urn:dab:dbt:model:jaffle_shop:orders",
    "/ui/conformance",
    "/ui/pii",
    "/ui/products",
]
STATIC = Path(str(resources.files("dab.api.console") / "static"))


class TestShell:
    @pytest.mark.parametrize("path", PAGES)
    def test_every_page_url_gets_the_shell_without_a_key(self, client: TestClient, path: str) -> None:
        response = client.get(path, headers={"X-API-Key": ""})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert '<main id="main"' in response.text
        assert '<meta name="dab-auth" content="required">' in response.text

    def test_the_shell_allows_only_this_origin(self, client: TestClient) -> None:
        csp = client.get("/ui/").headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "connect-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp

    def test_ui_without_slash_redirects(self, client: TestClient) -> None:
        response = client.get("/ui", follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == "/ui/"

    def test_unknown_page_is_a_problem_404(self, client: TestClient) -> None:
        response = client.get("/ui/nowhere")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "/ui/nowhere" in response.json()["detail"]

    def test_with_auth_disabled_the_shell_says_so(self, settings: Settings) -> None:
        app = create_app(settings.model_copy(update={"auth_enabled": False}))
        with TestClient(app) as client:
            assert '<meta name="dab-auth" content="disabled">' in client.get("/ui/").text

    def test_shell_and_assets_do_not_spend_the_rate_limit(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit_default": "2/minute"})
        with TestClient(create_app(limited)) as client:
            paths = ["/ui/", "/ui/conformance", "/ui/assets/app.js", "/ui/assets/style.css"] * 3
            assert {client.get(path).status_code for path in paths} == {200}
            codes = [client.get("/api/v1/capsules", headers={"X-API-Key": ""}).status_code for _ in range(3)]
            assert codes[-1] == 429  # while the API behind it still is limited

    def test_the_console_is_not_part_of_the_api_schema(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        assert not [p for p in paths if p.startswith("/ui")]


class TestAssets:
    def test_every_asset_the_shell_and_modules_name_is_served(self, client: TestClient) -> None:
        shell = client.get("/ui/").text
        referenced = set(re.findall(r'(?:src|href)="(/ui/assets/[^"]+)"', shell))
        for module in STATIC.rglob("*.js"):
            for target in re.findall(r'from "(\.{1,2}/[^"]+)"', module.read_text()):
                resolved = (module.parent / target).resolve().relative_to(STATIC.resolve())
                referenced.add(f"/ui/assets/{resolved.as_posix()}")
        assert "/ui/assets/vendor/dagre.min.js" in referenced
        assert len(referenced) > 8
        for path in sorted(referenced):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "content-security-policy" in response.headers

    def test_no_asset_names_another_host(self) -> None:
        for asset in STATIC.rglob("*"):
            if asset.suffix in {".js", ".css", ".html"}:
                text = asset.read_text(encoding="utf-8")
                assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", text), asset.name
                assert "sourceMappingURL" not in text, asset.name

    def test_vendored_layout_library_keeps_its_licence(self) -> None:
        licence = (STATIC / "vendor" / "dagre.LICENSE.txt").read_text()
        assert "MIT" in licence
        assert "Permission is hereby granted" in licence

    def test_missing_asset_is_404(self, client: TestClient) -> None:
        assert client.get("/ui/assets/nope.js").status_code == 404
