"""End to end in real headless Chromium: the Studio on the example app's real workflows.

The browser is Debian's ``chromium`` (installed by ``tests/studio/setup_browser.sh``), driven by
Playwright's Python API; Playwright never downloads a browser here. Screenshots of every page go
to ``test-artifacts/studio/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lunora_codegen.studio.app import create_app
from lunora_codegen.studio.catalog import Catalog
from lunora_codegen.studio.local import LocalBackend
from lunora_codegen.studio.server import StudioServer

from .conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path(os.environ.get("LUNORA_CHROMIUM", "/usr/bin/chromium"))
#: Without these, chromium on a machine with no network stalls on start-up requests.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts" / "studio"
#: Generous: CI machines are small and shared; a passing run takes a fraction of this.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the Studio's browser tests need Debian's chromium. "
            "Install it with `sh tests/studio/setup_browser.sh` (as root, or with sudo)."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, chromium_sandbox=False
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def studio_url(catalog: Catalog) -> Iterator[str]:
    """The Studio on an ephemeral loopback port, in a thread, on the local engine (fast)."""
    server = StudioServer(create_app(LocalBackend(catalog, speed="fast"), title="chat-app"))
    url = server.start_in_thread()
    yield url
    server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Validation answers (4xx) are expected and shown on the page; anything else is a bug.
    expected = "Failed to load resource: the server responded with a status of 4"
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and not m.text.startswith(expected) else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def expect_status(page: Page, status: str) -> None:
    """The live badge reaches ``status``; on failure, say what the instance's error was."""
    try:
        expect(page.locator("#instance-status")).to_have_text(status)
    except AssertionError:
        errors = page.locator("#instance-error")
        detail = errors.inner_text() if errors.count() else "no error shown"
        raise AssertionError(f"the instance did not reach {status}: {detail}") from None


def test_workflows_page_lists_the_example_app(
    page: Page, studio_url: str, catalog: Catalog
) -> None:
    page.goto(studio_url + "/")
    expect(page).to_have_url(studio_url + "/workflows")
    # Every export of the example's generated module, whatever the example declares today.
    exports = sorted(catalog.module.SPECS)
    assert "channel_welcome" in exports
    rows = page.locator("#workflows tbody tr")
    expect(rows).to_have_count(len(exports))
    for export in exports:
        expect(page.locator(f'tr[data-export="{export}"]')).to_have_count(1)
    welcome = page.locator('tr[data-export="channel_welcome"]')
    for text in (
        "ChannelWelcomeWorkflow",
        "WORKFLOW_CHANNEL_WELCOME",
        "channel-welcome",
        "WelcomeParams",
    ):
        expect(welcome).to_contain_text(text)
    expect(welcome.locator(".source")).to_have_text(re.compile(r"src/lunora/workflows\.py:\d+"))
    expect(page.locator('tr[data-export="order_pipeline"]')).to_contain_text("orders")
    shot(page, "1-workflows")


def test_start_from_the_form_and_watch_it_complete(page: Page, studio_url: str) -> None:
    page.goto(studio_url + "/workflows")
    page.locator('tr[data-export="channel_welcome"]').get_by_role("link", name="Start").click()
    expect(page.get_by_role("heading", name="Start channel_welcome")).to_be_visible()

    # Validation errors are shown next to the fields, and nothing starts.
    page.fill("#field-channel_id", "general")
    page.get_by_role("button", name="Start instance").click()
    error = page.locator('[data-error-for="user_name"]')
    expect(error).to_have_text("required")
    expect(page.locator('[data-field="user_name"]')).to_have_class(re.compile("invalid"))
    shot(page, "2-start-validation")

    page.fill("#field-user_name", "Ada")
    page.fill("#instance-id", "welcome-ada")
    page.get_by_role("button", name="Start instance").click()
    expect(page).to_have_url(studio_url + "/instances/channel_welcome/welcome-ada")
    # Live updates (server-sent events) move the badge to complete without a reload.
    expect_status(page, "complete")
    timeline = page.locator("#timeline tbody tr")
    expect(timeline).to_have_count(3)
    expect(timeline.nth(0)).to_contain_text("greet")
    expect(timeline.nth(0)).to_contain_text("Welcome, Ada!")
    expect(timeline.nth(1)).to_contain_text("sleep")
    expect(timeline.nth(1)).to_contain_text("1.0 min")
    expect(page.locator("#instance-output")).to_contain_text('"posted": 2')
    page.locator("#timeline tbody tr").nth(0).locator("summary").click()
    expect(timeline.nth(0).locator(".attempts li")).to_have_count(1)
    shot(page, "3-instance-timeline")


def test_instances_table_and_opening_a_timeline(page: Page, studio_url: str) -> None:
    page.goto(studio_url + "/workflows/order_pipeline/start")
    page.get_by_role("tab", name="JSON").click()
    page.fill(
        "#params-json",
        '{"order_id": "o-9", "sku": "tea", "quantity": "lots", "amount_cents": 300}',
    )
    page.get_by_role("button", name="Start instance").click()
    expect(page.locator('[data-error-for="_json"]')).to_contain_text("quantity")
    page.fill(
        "#params-json", '{"order_id": "o-9", "sku": "tea", "quantity": 2, "amount_cents": 300}'
    )
    page.fill("#instance-id", "order-o-9")
    page.get_by_role("button", name="Start instance").click()
    expect_status(page, "complete")

    page.get_by_role("navigation").get_by_role("link", name="Instances").click()
    row = page.locator('tr[data-instance="order-o-9"]')
    expect(row).to_contain_text("order_pipeline")
    expect(row.locator(".badge")).to_have_text("complete")
    expect(row).to_contain_text("rcpt-o-9")
    shot(page, "4-instances")
    row.get_by_role("link", name="order-o-9").click()
    expect(page.locator("#timeline")).to_contain_text("reserve-stock")
    expect(page.locator("#timeline")).to_contain_text("send-receipt")


def test_send_an_event_to_a_waiting_instance(page: Page, studio_url: str) -> None:
    page.goto(studio_url + "/workflows/expense_approval/start")
    page.fill("#field-request_id", "exp-42")
    page.fill("#field-amount_cents", "1999")
    page.fill("#instance-id", "exp-42")
    page.get_by_role("button", name="Start instance").click()
    expect_status(page, "waiting")
    expect(page.locator("#waiting-notice")).to_contain_text("approval")
    expect(page.locator("#event-type")).to_have_value("approval")
    shot(page, "5-instance-waiting")

    page.fill("#event-payload", "{not json")
    page.get_by_role("button", name="Send").click()
    expect(page.locator('[data-error-for="payload"]')).to_contain_text("valid JSON")
    page.fill("#event-payload", '{"approved": true}')
    page.get_by_role("button", name="Send").click()
    expect_status(page, "complete")
    expect(page.locator("#instance-output")).to_contain_text('"approved": true')
    expect(page.locator("#timeline")).to_contain_text("pay-out")
    # A finished instance takes no commands: the controls go away.
    expect(page.locator(".controls")).to_be_hidden()
    shot(page, "6-instance-after-event")


def test_pause_resume_and_terminate(page: Page, studio_url: str) -> None:
    page.goto(studio_url + "/workflows/expense_approval/start")
    page.fill("#field-request_id", "exp-43")
    page.fill("#field-amount_cents", "5")
    page.get_by_role("button", name="Start instance").click()
    expect_status(page, "waiting")
    page.get_by_role("button", name="Pause").click()
    expect_status(page, "paused")
    expect(page.get_by_role("button", name="Resume")).to_be_enabled()
    page.get_by_role("button", name="Resume").click()
    expect_status(page, "waiting")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Terminate").click()
    expect_status(page, "terminated")
    expect(page.locator(".controls")).to_be_hidden()
    expect(page.locator("#timeline")).to_contain_text("did not finish")
    shot(page, "7-instance-terminated")


def test_a_failed_instance_shows_its_error(page: Page, studio_url: str) -> None:
    page.goto(studio_url + "/workflows/expense_approval/start")
    page.fill("#field-request_id", "exp-44")
    page.fill("#field-amount_cents", "70")
    page.get_by_role("button", name="Start instance").click()
    expect_status(page, "waiting")
    page.fill("#event-payload", '{"approved": false}')
    page.get_by_role("button", name="Send").click()
    expect_status(page, "errored")
    expect(page.locator("#instance-error")).to_contain_text("expense exp-44 was rejected")
    expect(page.locator("#timeline")).not_to_contain_text("pay-out")
    shot(page, "8-instance-errored")

    page.goto(studio_url + "/instances?status=errored")
    rows = page.locator("#instance-rows tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("was rejected")
    shot(page, "9-instances-filtered")


def test_nothing_is_clickable_before_the_script_has_wired_it(page: Page, studio_url: str) -> None:
    """Buttons come disabled from the server and studio.js enables them, so a click that lands
    before the script ran waits (Playwright) or does nothing (a person), instead of being lost
    or submitting a form natively."""
    page.route(
        "**/static/studio.js",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )
    page.goto(studio_url + "/workflows/expense_approval/start")
    controls = [
        page.get_by_role("tab", name="Form"),
        page.get_by_role("tab", name="JSON"),
        page.get_by_role("button", name="Start instance"),
    ]
    for control in controls:
        expect(control).to_be_disabled()
    page.unroute("**/static/studio.js")
    page.reload()
    for control in controls:
        expect(control).to_be_enabled()
    page.fill("#field-request_id", "exp-45")
    page.fill("#field-amount_cents", "3")
    page.fill("#instance-id", "exp-45")
    page.get_by_role("button", name="Start instance").click()
    expect_status(page, "waiting")
    instance_url = page.url

    page.route(
        "**/static/studio.js",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )
    page.goto(instance_url)
    for name in ("Pause", "Resume", "Terminate", "Send"):
        expect(page.get_by_role("button", name=name)).to_be_disabled()
    page.unroute("**/static/studio.js")
    page.reload()
    expect(page.get_by_role("button", name="Pause")).to_be_enabled()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.get_by_role("button", name="Resume")).to_be_disabled()  # not paused
