"""Demo targets and tallies: Kendari's 1,980 new participants for the year (the 2021
figure from the news, reused for the demo year), the other branches' targets, labour
force figures quoted in the sources, and the daily tallies of the year so far, which
put Kendari behind pace from March on, with the retention cohorts of the demo's
registrations (spread over the last ten months, so the dashboard's cohort chart has a
bar group per month)."""

import datetime

from django.utils import timezone

from agents.models import Branch
from core.demo import DemoContext, demo_ensure
from tallies.models import BranchTarget, DailyTally, LabourForce, RetentionCohort
from tallies.services import retention_recompute, tallies_backfill

# branch, new participants, contributions (Rp)
TARGETS = [
    ("KDI", 1_980, 950_000_000),
    ("MDO", 1_200, 600_000_000),
    ("AMB", 800, 380_000_000),
    ("PLK", 900, 420_000_000),
    ("KPG", 1_000, 460_000_000),
]
# province, year, labour force, source (see the domain notes)
LABOUR_FORCE = [
    ("74", 2018, 1_200_000, "Sultra, Juni 2018 (berita)"),
    ("53", 2025, 3_000_000, "NTT 2025 (berita)"),
    ("62", 2015, 600_000, "Kalimantan Tengah, survei 2015 (berita)"),
]


def seed(context: DemoContext) -> None:
    today = timezone.localdate()
    for code, participants, contributions in TARGETS:
        demo_ensure(
            model=BranchTarget,
            lookup={"branch": Branch.objects.get(code=code), "year": today.year},
            data={"new_participants": participants, "contributions": contributions},
        )
    for province, year, workers, source in LABOUR_FORCE:
        demo_ensure(
            model=LabourForce,
            lookup={"province_id": province, "year": year},
            data={"workers": workers, "source": source},
        )
    first = datetime.date(today.year, 1, 1)
    done = set(DailyTally.objects.filter(date__year=today.year).values_list("date", flat=True))
    missing = [first + datetime.timedelta(days=n) for n in range((today - first).days + 1)]
    missing = [day for day in missing if day not in done]
    written = 0
    if missing:
        # The backfill's last pass stores the retention cohorts too.
        written = tallies_backfill(first=missing[0], last=missing[-1])
    elif not RetentionCohort.objects.exists():
        retention_recompute()
    context.note(
        f"{len(TARGETS)} targets; tallies for {len(missing)} days ({written} branch-days); "
        f"{RetentionCohort.objects.count()} retention cohorts"
    )
