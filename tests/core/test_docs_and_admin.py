import re

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served_and_documents_the_error_shape(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "message",
        "fields",
    }
    regencies = schema["paths"]["/api/v1/regencies"]["get"]["responses"]
    assert {"200", "400", "401", "403", "429"} <= set(regencies)


def test_docs_page_loads_its_assets_from_the_project_not_the_internet(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(source.startswith("/static/") for source in sources), sources


def test_admin_speaks_indonesian_by_default(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nama pengguna" in html
    assert "Administrasi Perisai" in html


def test_admin_shows_the_organisation_in_indonesian(admin_client):
    response = admin_client.get("/admin/agents/branch/")
    assert response.status_code == 200
    assert "kantor cabang" in response.content.decode().lower()
