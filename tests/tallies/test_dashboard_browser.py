"""The dashboard in a real browser: headless Chromium (Debian's package) signs in as
branch staff through the admin's login form, opens the dashboard and finds the charts
drawn with Kendari's figures, the retention cohorts' among them."""

import datetime
import shutil

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from agents.models import StaffProfile
from tallies.models import BranchTarget, DailyTally, RetentionCohort
from tests.builders import PASSWORD, staff

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver"
    ),
]


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    # Branch staff's browsers ask for Indonesian, as the admin's labels are.
    options.add_argument("--lang=id")
    options.add_experimental_option("prefs", {"intl.accept_languages": "id,id-ID"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_branch_staff_see_kendari_on_the_dashboard(live_server, browser, kendari):
    from selenium.webdriver.common.by import By

    year = timezone.localdate().year
    BranchTarget.objects.create(branch=kendari, year=year, new_participants=1_980, contributions=1)
    for day, registered in ((datetime.date(year, 1, 20), 120), (datetime.date(year, 3, 21), 224)):
        DailyTally.objects.create(
            branch=kendari,
            date=day,
            new_registrations=registered,
            new_activations=0,
            active_participants=0,
            non_active_participants=0,
            contributions_received=0,
            active_agents=0,
            productive_agents=0,
            computed_at=datetime.datetime.now(datetime.UTC),
        )
    # January's cohort: 120 registered, 90 paid, 60 still active after 3 months; the later
    # figures not known yet.
    RetentionCohort.objects.create(
        branch=kendari,
        cohort=datetime.date(year, 1, 1),
        registered=120,
        paid_once=90,
        active_3=60,
        active_6=None,
        active_12=None,
        computed_at=datetime.datetime.now(datetime.UTC),
    )
    staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari)

    _sign_in(
        browser,
        live_server,
        "staf.kdi",
        "/admin/tallies/dailytally/dashboard/%3Flevel%3Dbranch%26code%3DKDI",
    )

    assert "Dasbor: Kendari" in browser.title
    assert browser.find_element(By.CSS_SELECTOR, '[data-figure="target"]').text == "1.980"
    assert browser.find_element(By.CSS_SELECTOR, '[data-figure="realised"]').text == "344"
    line = browser.find_element(
        By.CSS_SELECTOR, 'svg[data-chart="progress"] polyline[data-series="Terealisasi"]'
    )
    assert line.is_displayed()
    assert line.size["width"] > 0  # the browser laid the chart out
    bars = browser.find_elements(
        By.CSS_SELECTOR, 'svg[data-chart="bars"] rect[data-label="KDI Kendari"]'
    )
    assert bars and float(bars[0].get_attribute("data-value")) == 17.4

    with override("id"):
        three, six = gettext("Active after 3 months"), gettext("Active after 6 months")
    january = f"Jan {year % 100:02d}"
    cohort_bar = browser.find_element(
        By.CSS_SELECTOR,
        f'svg[data-chart="cohorts"] rect[data-cohort="{january}"][data-series="{three}"]',
    )
    assert float(cohort_bar.get_attribute("data-value")) == 50.0
    assert cohort_bar.is_displayed() and cohort_bar.size["height"] > 0
    registered = browser.find_element(
        By.CSS_SELECTOR, f'svg[data-chart="cohorts"] text[data-cohort="{january}"]'
    )
    assert registered.get_attribute("data-registered") == "120"
    # Not known yet: no bar rather than a bar of zero.
    assert not browser.find_elements(
        By.CSS_SELECTOR, f'svg[data-chart="cohorts"] rect[data-series="{six}"]'
    )


@pytest.fixture
def wide_browser(browser):
    """A 1,400 px laptop screen."""
    browser.set_window_size(1400, 900)
    return browser


def _sign_in(browser, live_server, username: str, next_path: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(f"{live_server.url}/admin/login/?next={next_path}")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # The click returns before the next page has loaded on a busy machine: wait for it.
    WebDriverWait(browser, 30).until(lambda b: "/admin/login/" not in b.current_url)


def test_admin_lists_fit_a_1400_px_screen(live_server, wide_browser, region):
    """The permit checks' decision column, and every column of the busiest lists, are on
    screen without scrolling sideways."""
    from selenium.webdriver.common.by import By

    from core.models import Regency
    from partners import services
    from partners.models import Partner, PartnerKind
    from tests.partners.conftest import company

    regency = Regency.objects.get(code="7471")
    office = Partner.objects.create(
        code="PTSP-7471", name="Dinas Penanaman Modal dan PTSP Kota Kendari", kind=PartnerKind.PTSP
    )
    office.jurisdiction_regencies.add(regency)
    key, _raw = services.partner_key_create(partner=office, label="uji")
    for n in range(3):
        nib = f"91200012345{n:02d}"
        company(nib, name=f"PT Perusahaan Perikanan dan Pelabuhan Samudra Kendari Jaya Abadi {n}")
        services.permit_check_make(
            api_key=key,
            client_ip="203.0.113.10",
            nib=nib,
            permit_type="izin_usaha",
            application_ref=f"DPMPTSP-7471-2026-PERMOHONAN-IZIN-USAHA-{n:05d}",
            request_body={},
            base_url="https://perisai.example",
        )
    staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE)

    _sign_in(wide_browser, live_server, "staf.pusat", "/admin/partners/permitcheck/")
    assert wide_browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    width = wide_browser.execute_script("return document.documentElement.clientWidth")
    for cell in wide_browser.find_elements(By.CSS_SELECTOR, "#result_list .field-decision"):
        right = wide_browser.execute_script(
            "return arguments[0].getBoundingClientRect().right", cell
        )
        assert right <= width, (right, width)
    table_right = wide_browser.execute_script(
        "return document.querySelector('#result_list').getBoundingClientRect().right"
    )
    assert table_right <= width
