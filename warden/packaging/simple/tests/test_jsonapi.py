"""`/pypi/<project>/json`, in the shape PyPI serves."""


def test_project_json_describes_the_latest_stable_release(client, demo):
    data = client.get("/pypi/demo-pkg/json").json()
    # 1.1 is yanked and 2.0rc1 a pre-release, so PyPI would call 1.0 current.
    assert data["info"]["version"] == "1.0"
    assert data["info"]["name"] == "Demo.Pkg"
    assert set(data["releases"]) == {"1.0", "1.1", "2.0rc1"}
    assert {u["filename"] for u in data["urls"]} == {"demo_pkg-1.0.tar.gz",
                                                    "demo_pkg-1.0-py3-none-any.whl"}
    assert data["last_serial"] == demo.last_serial


def test_file_entries_carry_digests_and_absolute_urls(client, demo):
    data = client.get("/pypi/demo-pkg/json").json()
    wheel = demo.releases.get(version="1.0").files.get(packagetype="bdist_wheel")
    entry = next(u for u in data["urls"] if u["packagetype"] == "bdist_wheel")
    assert entry["digests"] == {"sha256": wheel.sha256, "md5": wheel.md5,
                                "blake2b_256": wheel.blake2_256}
    assert entry["url"] == f"http://testserver/packages/{wheel.path}"
    assert entry["size"] == wheel.size
    assert entry["upload_time_iso_8601"].endswith("Z")


def test_yanked_release_is_marked_with_its_reason(client, demo):
    data = client.get("/pypi/demo-pkg/1.1/json").json()
    assert data["info"]["yanked"] is True
    assert data["info"]["yanked_reason"] == "broke imports"
    assert data["urls"][0]["yanked"] is True
    assert "releases" not in data


def test_release_json_finds_a_release_by_any_equal_version_spelling(client, demo):
    # PEP 440: 1.0 == 1.0.0 == 1.0.0.0; the release keeps the spelling it was uploaded with.
    assert client.get("/pypi/demo-pkg/1.0.0/json").json()["info"]["version"] == "1.0"
    assert client.get("/pypi/demo-pkg/1.0.0.0/json").json()["info"]["version"] == "1.0"


def test_unknown_project_and_version_are_404(client, demo):
    assert client.get("/pypi/nope/json").status_code == 404
    assert client.get("/pypi/demo-pkg/9.9/json").status_code == 404


def test_other_spellings_redirect_to_the_project_name(client, demo):
    response = client.get("/pypi/demo_pkg/json")
    assert response.status_code == 301
    assert response["Location"] == "/pypi/Demo.Pkg/json"
