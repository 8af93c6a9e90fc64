"""Demo organisation and agents (README, "Demo accounts"): regions and branches in
all three time zones, a Kantor Perisai, staff at each level, active agents KDI-0001...
and one deactivated agent."""

import datetime

from django.contrib.auth.models import Group

from agents import services
from agents.models import (
    AgentStatus,
    AgentStatusChange,
    AppointedBank,
    Branch,
    KantorPerisai,
    Region,
    StaffProfile,
)
from agents.selectors import agent_find_by_nik
from core.demo import DemoContext, demo_ensure, demo_password_sync, demo_user_ensure

Channel = AgentStatusChange.Channel

REGIONS = [
    ("KW-SULAMA", "Kantor Wilayah Sulawesi dan Maluku"),
    ("KW-KALIMANTAN", "Kantor Wilayah Kalimantan"),
    ("KW-BALINUSRA", "Kantor Wilayah Bali, Nusa Tenggara dan Papua"),
]

# code, name, region, regency, time zone
BRANCHES = [
    ("KDI", "Kendari", "KW-SULAMA", "7471", Branch.TimeZone.WITA),
    ("MDO", "Manado", "KW-SULAMA", "7171", Branch.TimeZone.WITA),
    ("AMB", "Ambon", "KW-SULAMA", "8171", Branch.TimeZone.WIT),
    ("PLK", "Palangka Raya", "KW-KALIMANTAN", "6271", Branch.TimeZone.WIB_PONTIANAK),
    ("KPG", "Kupang", "KW-BALINUSRA", "5371", Branch.TimeZone.WITA),
]


def seed(context: DemoContext) -> None:
    regions = {}
    for code, name in REGIONS:
        regions[code] = demo_ensure(model=Region, lookup={"code": code}, data={"name": name})
    for code, name, region_code, regency_code, zone in BRANCHES:
        demo_ensure(
            model=Branch,
            lookup={"code": code},
            data={
                "name": name,
                "region": regions[region_code],
                "regency_id": regency_code,
                "time_zone": zone.value,
            },
        )
    context.note(f"{len(REGIONS)} regions, {len(BRANCHES)} branches")
    _seed_staff(context, regions)
    _seed_agents(context)


KANTOR_PERISAI = [("KP-KDI-01", "Kantor Perisai Mandonga", "KDI")]

# username, level, branch or region code
STAFF = [
    ("staf.kdi", StaffProfile.Level.BRANCH, "KDI"),
    ("staf.mdo", StaffProfile.Level.BRANCH, "MDO"),
    ("staf.sulama", StaffProfile.Level.REGION, "KW-SULAMA"),
    ("staf.pusat", StaffProfile.Level.HEAD_OFFICE, ""),
]
GROUP_OF_LEVEL = {
    StaffProfile.Level.BRANCH: "Staf Kantor Cabang",
    StaffProfile.Level.REGION: "Staf Kantor Wilayah",
    StaffProfile.Level.HEAD_OFFICE: "Staf Kantor Pusat",
}

# Synthetic NIKs (valid structure, nobody's real number): branch, name, NIK, phone,
# Kantor Perisai, final status.
AGENTS = [
    ("KDI", "La Ode Hamzah", "7471010203850001", "081241000001", "KP-KDI-01", "active"),
    ("KDI", "Wa Ode Nurhayati", "7471015506880002", "081241000002", "KP-KDI-01", "active"),
    ("KDI", "Andi Saputra", "7471021011900003", "081241000003", "", "active"),
    ("KDI", "Sitti Rahmawati", "7471024712920004", "081241000004", "", "active"),
    ("KDI", "Muh. Ridwan", "7471030105870005", "081241000005", "KP-KDI-01", "active"),
    ("KDI", "Hasnawati", "7471034403830006", "081241000006", "", "deactivated"),
    ("MDO", "Johny Rumengan", "7171011506860007", "081241000007", "", "active"),
    ("MDO", "Meiske Tumbelaka", "7171015209910008", "081241000008", "", "active"),
    ("AMB", "Yohanis Latuheru", "8171012507840009", "081241000009", "", "active"),
    ("PLK", "Dewi Lestari", "6271016108930010", "081241000010", "", "active"),
    ("KPG", "Yakobus Ndun", "5371010911890011", "081241000011", "", "active"),
]
TRAINER = "Tim Pemasaran BPU"


def _seed_staff(context: DemoContext, regions: dict[str, Region]) -> None:
    groups = {group.name: group for group in Group.objects.filter(name__in=GROUP_OF_LEVEL.values())}
    for username, level, scope in STAFF:
        user = demo_user_ensure(context, username=username, is_staff=True)
        if username in context.accounts_created:
            user.groups.add(groups[GROUP_OF_LEVEL[level]])
        demo_ensure(
            model=StaffProfile,
            lookup={"user": user},
            data={
                "level": level,
                "branch": Branch.objects.get(code=scope)
                if level == StaffProfile.Level.BRANCH
                else None,
                "region": regions[scope] if level == StaffProfile.Level.REGION else None,
            },
        )


def _seed_agents(context: DemoContext) -> None:
    kantor = {
        code: demo_ensure(
            model=KantorPerisai,
            lookup={"code": code},
            data={"name": name, "branch": Branch.objects.get(code=branch_code)},
        )
        for code, name, branch_code in KANTOR_PERISAI
    }
    created = 0
    for branch_code, name, nik, phone, kantor_code, status in AGENTS:
        existing = agent_find_by_nik(nik=nik).select_related("user").first()
        if existing is not None:
            demo_password_sync(context, existing.user)
            continue
        branch = Branch.objects.get(code=branch_code)
        agent = services.agent_apply(
            branch=branch,
            full_name=name,
            nik=nik,
            phone=phone,
            bank=AppointedBank.BNI,
            bank_account_number=f"0{nik[-9:]}",
            password=context.password,
            kantor_perisai=kantor.get(kantor_code),
            by=None,
            channel=Channel.COMMAND,
        )
        services.agent_training_record(
            agent=agent,
            completed_on=branch.local_today() - datetime.timedelta(days=30),
            trainer=TRAINER,
            branch=branch,
            by=None,
        )
        agent = services.agent_activate(agent=agent, by=None, channel=Channel.COMMAND)
        if status == AgentStatus.DEACTIVATED:
            services.agent_deactivate(
                agent=agent,
                by=None,
                reason="Tiga bulan tanpa pendaftaran dan iuran (data demo)",
                channel=Channel.COMMAND,
            )
        context.accounts_created.append(agent.code)
        created += 1
    context.note(f"{len(AGENTS)} agents ({created} new), {len(STAFF)} staff accounts")
