"""Demo organisation: regions and branches in all three time zones (DESIGN.md §7)."""

from agents.models import Branch, Region
from core.demo import DemoContext
from core.services import model_ensure

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
        regions[code], _ = model_ensure(model=Region, lookup={"code": code}, data={"name": name})
    for code, name, region_code, regency_code, zone in BRANCHES:
        model_ensure(
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
