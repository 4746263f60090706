"""Reading the index under test the way installers do (PEP 691 JSON)."""

from __future__ import annotations

import requests

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def index_files(url: str, name: str) -> dict[str, str]:
    """{filename: sha256} of a project's files on its simple page; {} if there is no
    such project."""
    response = requests.get(f"{url}/simple/{name}/", headers={"Accept": SIMPLE_JSON}, timeout=30)
    if response.status_code == 404:
        return {}
    response.raise_for_status()
    assert response.headers["Content-Type"].startswith(SIMPLE_JSON), response.headers
    return {f["filename"]: f["hashes"]["sha256"] for f in response.json()["files"]}
