import datetime
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agents import services
from agents.models import Agent, AgentStatusChange, AppointedBank, Branch, StaffProfile

PASSWORD = "Sandi-Agen-2026!"
_serials = itertools.count(1)


def new_nik(serial: int | None = None) -> str:
    """A structurally valid synthetic NIK: Kota Kendari, born 1 Jan 1990, male."""
    return f"747101010190{serial if serial is not None else next(_serials):04d}"


def new_phone(serial: int) -> str:
    return f"0812{serial:08d}"


def apply_agent(branch: Branch, *, nik: str | None = None, phone: str | None = None, **extra):
    serial = next(_serials)
    return services.agent_apply(
        branch=branch,
        full_name=extra.pop("full_name", f"Agen {serial}"),
        nik=nik or new_nik(serial),
        phone=phone or new_phone(serial),
        bank=AppointedBank.BNI,
        bank_account_number=f"{serial:010d}",
        password=PASSWORD,
        by=None,
        **extra,
    )


def train(agent: Agent) -> None:
    services.agent_training_record(
        agent=agent,
        completed_on=agent.branch.local_today() - datetime.timedelta(days=1),
        trainer="Tim Pemasaran",
        branch=agent.branch,
        by=None,
    )


def active_agent(branch: Branch, **kwargs) -> Agent:
    agent = apply_agent(branch, **kwargs)
    train(agent)
    return services.agent_activate(agent=agent, by=None, channel=AgentStatusChange.Channel.COMMAND)


def staff(username: str, level: str, *, branch=None, region=None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    groups: dict[str, str] = {
        StaffProfile.Level.BRANCH: "Staf Kantor Cabang",
        StaffProfile.Level.REGION: "Staf Kantor Wilayah",
        StaffProfile.Level.HEAD_OFFICE: "Staf Kantor Pusat",
    }
    group = groups[level]
    user.groups.add(Group.objects.get(name=group))
    StaffProfile.objects.create(user=user, level=level, branch=branch, region=region)
    return user
