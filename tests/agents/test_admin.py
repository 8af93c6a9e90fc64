import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from agents.models import Agent, AgentStatus, AgentStatusChange, KantorPerisai, StaffProfile
from tests.builders import PASSWORD, active_agent, apply_agent, new_nik, staff

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/agents/agent/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(kendari, manado, palangka):
    return {
        "kdi": active_agent(kendari, full_name="Agen Kendari"),
        "mdo": active_agent(manado, full_name="Agen Manado"),
        "plk": active_agent(palangka, full_name="Agen Palangka"),
    }


def test_branch_staff_list_only_their_branch(world, kendari):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    html = client.get(CHANGELIST).content.decode()
    assert "Agen Kendari" in html
    assert "Agen Manado" not in html
    assert "Agen Palangka" not in html


def test_branch_staff_cannot_open_another_branch_agent(world, kendari):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    own = client.get(f"{CHANGELIST}{world['kdi'].pk}/change/")
    other = client.get(f"{CHANGELIST}{world['mdo'].pk}/change/", follow=True)
    assert own.status_code == 200
    assert "Agen Manado" not in other.content.decode()
    assert other.redirect_chain  # the admin treats it as missing


def test_branch_staff_cannot_act_on_another_branch_agent(world, kendari):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    client.post(
        CHANGELIST,
        {
            "action": "deactivate",
            "_selected_action": [world["mdo"].pk],
            "apply": "1",
            "reason": "x",
        },
    )
    world["mdo"].refresh_from_db()
    assert world["mdo"].status == AgentStatus.ACTIVE


def test_regional_staff_see_their_region_only(world, region):
    client = signed_in(staff("staf.sulama", StaffProfile.Level.REGION, region=region))
    html = client.get(CHANGELIST).content.decode()
    assert "Agen Kendari" in html and "Agen Manado" in html
    assert "Agen Palangka" not in html
    assert client.get(f"{CHANGELIST}{world['mdo'].pk}/change/").status_code == 200


def test_head_office_sees_everything(world):
    client = signed_in(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    html = client.get(CHANGELIST).content.decode()
    assert all(name in html for name in ("Agen Kendari", "Agen Manado", "Agen Palangka"))


def test_staff_without_a_scope_see_nothing(world, django_user_model):
    user = django_user_model.objects.create_user("lost", password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_agent"))
    response = signed_in(user).get(CHANGELIST)
    assert response.status_code == 200
    assert "Agen Kendari" not in response.content.decode()


def test_branch_staff_apply_train_and_activate_an_agent_in_the_admin(kendari):
    user = staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari)
    client = signed_in(user)
    nik = new_nik(3131)
    response = client.post(f"{CHANGELIST}add/", application(kendari, nik=nik))
    assert response.status_code == 302, response.content.decode()[:2000]
    agent = Agent.objects.get(full_name="Wa Ode Sitti")
    assert (agent.code, agent.status, agent.phone) == ("KDI-0001", "applicant", "+6281233334444")

    change_url = f"{CHANGELIST}{agent.pk}/change/"
    form = {
        "full_name": agent.full_name,
        "phone": agent.phone,
        "bank": agent.bank,
        "bank_account_number": agent.bank_account_number,
        "kantor_perisai": "",
        "new_password": "",
        "trainings-TOTAL_FORMS": "1",
        "trainings-INITIAL_FORMS": "0",
        "trainings-0-completed_on": kendari.local_today().isoformat(),
        "trainings-0-trainer": "Tim Pemasaran BPU",
        "trainings-0-branch": kendari.pk,
        "status_changes-TOTAL_FORMS": "1",
        "status_changes-INITIAL_FORMS": "1",
        "status_changes-0-id": agent.status_changes.get().pk,
        "status_changes-0-agent": agent.pk,
    }
    response = client.post(change_url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert agent.trainings.get().recorded_by == user

    response = client.post(
        CHANGELIST, {"action": "activate", "_selected_action": [agent.pk], "apply": "1"}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.status == AgentStatus.ACTIVE
    change = agent.status_changes.latest("id")
    assert (change.changed_by, change.channel) == (user, AgentStatusChange.Channel.ADMIN)


def test_an_action_that_needs_a_reason_asks_for_one(world, kendari):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    page = client.post(CHANGELIST, {"action": "terminate", "_selected_action": [world["kdi"].pk]})
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    client.post(
        CHANGELIST,
        {"action": "terminate", "_selected_action": [world["kdi"].pk], "apply": "1", "reason": ""},
    )
    world["kdi"].refresh_from_db()
    assert world["kdi"].status == AgentStatus.ACTIVE
    client.post(
        CHANGELIST,
        {
            "action": "terminate",
            "_selected_action": [world["kdi"].pk],
            "apply": "1",
            "reason": "Pendaftaran fiktif",
        },
    )
    world["kdi"].refresh_from_db()
    assert world["kdi"].status == AgentStatus.TERMINATED
    assert world["kdi"].status_changes.latest("id").reason == "Pendaftaran fiktif"


def test_a_refused_transition_is_reported_not_applied(kendari):
    applicant = apply_agent(kendari, full_name="Belum Dilatih")
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.post(
        CHANGELIST,
        {"action": "activate", "_selected_action": [applicant.pk], "apply": "1"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "no completed branch training" in response.content.decode()
    applicant.refresh_from_db()
    assert applicant.status == AgentStatus.APPLICANT


def test_the_nik_is_never_shown_whole_in_the_admin(kendari):
    nik = new_nik(2468)
    agent = active_agent(kendari, nik=nik)
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    for url in (CHANGELIST, f"{CHANGELIST}{agent.pk}/change/"):
        html = client.get(url).content.decode()
        assert nik not in html
    assert "************2468" in client.get(f"{CHANGELIST}{agent.pk}/change/").content.decode()


def test_staff_search_by_code_name_and_phone_but_never_by_nik(world, kendari):
    client = signed_in(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    nik = new_nik(1357)
    active_agent(kendari, nik=nik, full_name="Dicari Lewat NIK")

    def found(term: str) -> str:
        return client.get(CHANGELIST, {"q": term}).content.decode()

    # A NIK in a search box would travel in the URL: it finds nothing.
    assert "Dicari Lewat NIK" not in found(nik)
    assert "Dicari Lewat NIK" in found("Dicari")
    kdi = world["kdi"]
    assert "Agen Kendari" in found(kdi.code)
    assert "Agen Kendari" in found("0" + kdi.phone.removeprefix("+62"))
    assert "Agen Manado" not in found(kdi.code)


def test_csv_export_has_the_scoped_agents_and_no_nik(world, kendari):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [world["kdi"].pk, world["mdo"].pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["code"] for row in rows] == [world["kdi"].code]
    assert "nik" not in rows[0]
    assert rows[0]["bank_account"].endswith(world["kdi"].bank_account_number[-4:])
    assert world["kdi"].bank_account_number not in response.content.decode()


def test_deactivating_in_the_admin_locks_the_agent_token_out(world, kendari, api_client):
    agent = world["kdi"]
    tokens = api_client.post(
        "/api/v1/auth/token", {"username": agent.code, "password": PASSWORD}, format="json"
    ).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/agent/me").status_code == 200

    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    client.post(
        CHANGELIST,
        {"action": "deactivate", "_selected_action": [agent.pk], "apply": "1", "reason": "Idle"},
    )
    assert api_client.get("/api/v1/agent/me").json()["code"] == "agent_not_active"


# The services' rules, shown by the admin ---------------------------------------------


def application(branch, **overrides) -> dict:
    return {
        "branch": branch.pk,
        "full_name": "Wa Ode Sitti",
        "nik": new_nik(3131),
        "phone": "0812 3333 4444",
        "bank": "BRI",
        "bank_account_number": "1234567890",
        "kantor_perisai": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return dict(response.context["adminform"].form.errors)


def test_the_add_form_shows_every_refusal_of_the_service_at_its_field(kendari, manado):
    other_branch = KantorPerisai.objects.create(code="KP-MDO-01", name="KP Manado", branch=manado)
    client = signed_in(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    response = client.post(
        f"{CHANGELIST}add/",
        application(
            kendari,
            nik="1234",
            full_name="---",
            phone="021-555-1234",
            kantor_perisai=other_branch.pk,
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert form_errors(response) == {
        "nik": ["A NIK is 16 digits."],
        "full_name": ["A name must contain at least one letter."],
        "phone": ["Enter an Indonesian mobile number, e.g. 081234567890."],
        "kantor_perisai": ["The Kantor Perisai must belong to the agent's branch."],
    }
    assert not Agent.objects.exists()
    kendari.refresh_from_db()
    assert kendari.last_agent_number == 0


def test_the_add_form_shows_a_weak_password_at_the_password_and_writes_nothing(kendari):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.post(
        f"{CHANGELIST}add/",
        application(kendari, password1="12345678", password2="12345678"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    errors = form_errors(response)
    assert set(errors) == {"password1"}
    assert "This password is too common." in errors["password1"]
    assert not Agent.objects.exists()
    kendari.refresh_from_db()
    assert kendari.last_agent_number == 0  # the attempt was rolled back whole


def change_form(agent, **overrides) -> dict:
    return {
        "full_name": agent.full_name,
        "phone": agent.phone,
        "bank": agent.bank,
        "bank_account_number": agent.bank_account_number,
        "kantor_perisai": "",
        "new_password": "",
        "trainings-TOTAL_FORMS": "0",
        "trainings-INITIAL_FORMS": "0",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        **overrides,
    }


def test_the_change_form_shows_the_services_refusals_at_their_fields(kendari):
    agent = apply_agent(kendari, full_name="Agen Lama")
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    url = f"{CHANGELIST}{agent.pk}/change/"
    response = client.post(
        url,
        change_form(agent, full_name="Agen Baru", phone="12345"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert form_errors(response) == {
        "phone": ["Enter an Indonesian mobile number, e.g. 081234567890."]
    }
    response = client.post(
        url, change_form(agent, new_password="12345678"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "This password is too common." in form_errors(response)["new_password"]
    agent.refresh_from_db()
    assert agent.full_name == "Agen Lama"
    assert agent.user.check_password(PASSWORD)


def test_a_refusal_for_an_inline_is_shown_above_the_form_and_nothing_is_saved(kendari):
    agent = apply_agent(kendari, full_name="Agen Lama")
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    tomorrow = kendari.local_today() + datetime.timedelta(days=1)
    response = client.post(
        f"{CHANGELIST}{agent.pk}/change/",
        change_form(
            agent,
            full_name="Agen Baru",
            **{
                "trainings-TOTAL_FORMS": "1",
                "trainings-0-completed_on": tomorrow.isoformat(),
                "trainings-0-trainer": "Tim Pemasaran BPU",
                "trainings-0-branch": kendari.pk,
            },
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert form_errors(response) == {
        "__all__": ["A training is recorded once it has been completed."]
    }
    agent.refresh_from_db()
    assert agent.full_name == "Agen Lama"  # the agent's change went back with it
    assert not agent.trainings.exists()
