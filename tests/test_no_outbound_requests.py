"""OWASP API7 (server-side request forgery): no caller can make the service fetch a URL.
This fails when an HTTP client is imported by the application's code, so that adding one
is a reviewed decision, not an accident. The one reviewed exception: the message
gateway's provider, which posts only to NOTIFICATIONS_HTTP_URL from the settings, never
to an address taken from a request or a row."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = [
    "config",
    "core",
    "notifications",
    "agents",
    "partners",
    "enrollments",
    "fees",
    "tallies",
]
HTTP_CLIENTS = {"requests", "httpx", "aiohttp", "urllib3", "urllib.request", "http.client"}
# Reviewed: path -> the clients it may import.
ALLOWED = {"notifications/providers.py": ["http.client"]}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_application_imports_no_http_client():
    sources = [path for package in APPLICATION for path in (ROOT / package).rglob("*.py")]
    assert len(sources) > 50  # the walk found the code
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in imported_modules(path)
            if any(name == client or name.startswith(client + ".") for client in HTTP_CLIENTS)
        )
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == ALLOWED


def test_the_check_recognises_an_http_client(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import urllib.request\nfrom httpx import get\n", encoding="utf-8")
    assert {"urllib.request", "httpx"} <= imported_modules(sample)
