"""Every main page works under the Content-Security-Policy: Chromium reports no
violation (no inline script or style blocked, nothing loaded from elsewhere) for a
visitor, for the SysAdmin on every page of the menu and the admin, and on the API's
documentation pages, which must also draw themselves."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import browser, page  # noqa: F401
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: A listener the page's own policy cannot block (Playwright injects it), keeping every
#: violation the browser reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""

PUBLIC_PAGES = ["/", "/login/", "/register/", "/password/reset/", "/admin/login/"]
SYSADMIN_PAGES = [
    "/", "/profile/", "/profile/password/", "/requests/", "/requests/new/",
    "/requests/import/", "/programs/", "/system/", "/instruments/", "/instruments/cameras/",
    "/weather/", "/observatory/", "/observatory/control/", "/observatory/log/", "/schedule/",
    "/schedule/history/", "/schedule/simulate/", "/alerts/", "/alerts/refused/",
    "/alerts/strategy/", "/images/", "/images/archive/", "/config/", "/config/versions/",
    "/users/", "/proposals/", "/proposals/new/", "/admin/", "/admin/accounts/user/",
]


def watch(tab: Page) -> list[str]:
    """The console's CSP messages (Chromium also logs every violation there)."""
    seen: list[str] = []
    tab.on("console", lambda m: seen.append(m.text)
           if "Content Security Policy" in m.text else None)
    tab.context.add_init_script(RECORD_VIOLATIONS)
    return seen


def visit(tab: Page, path: str, console: list[str]) -> list[str]:
    response = tab.goto(path, wait_until="load")
    assert response is not None and response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    tab.wait_for_timeout(300)  # let deferred scripts run and report
    found = [f"{path}: {v}" for v in tab.evaluate("window.__violations")]
    found += [f"{path}: {m}" for m in console]
    console.clear()
    return found


def test_public_pages_report_no_violation(page: Page, initial_data):  # noqa: F811
    console = watch(page)
    violations = [v for path in PUBLIC_PAGES for v in visit(page, path, console)]
    assert violations == []


def test_an_inline_script_would_be_blocked_and_reported(page: Page, initial_data):  # noqa: F811
    """The watch above sees what it must: an inline script added to a page is refused."""
    console = watch(page)
    page.goto("/")
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__ran = true"; document.body.append(s); }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__violations"))
    assert any("Content Security Policy" in m for m in console)


def test_the_sysadmins_pages_report_no_violation(page: Page, initial_data):  # noqa: F811
    console = watch(page)
    log_in_as_admin(page)
    violations = [v for path in SYSADMIN_PAGES for v in visit(page, path, console)]
    assert violations == []


def test_the_api_documentation_draws_under_the_policy(page: Page, initial_data):  # noqa: F811
    console = watch(page)
    assert visit(page, "/api/docs/", console) == []
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("PyROS API")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    page.goto("/api/redoc/")
    # Redoc parses the whole schema before it draws anything: seconds, not milliseconds.
    expect(page.locator("h1").first).to_contain_text("PyROS API", timeout=60_000)
    # Redoc's bundle hard-codes its maker's logo from their CDN: the policy keeps the
    # browser from fetching it (Redoc then hides the image). Nothing else is refused.
    assert set(page.evaluate("window.__violations")) <= {
        "img-src blocked https://cdn.redoc.ly/redoc/logo-mini.svg at :0"}
    assert all("cdn.redoc.ly" in m for m in console)


def log_in_as_admin(tab: Page) -> None:
    tab.goto("/login/")
    tab.fill("#id_username", "admin")
    tab.fill("#id_password", ADMIN_PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.locator(".who")).to_contain_text("admin")


def test_deleting_a_user_still_asks_first(page: Page, initial_data):  # noqa: F811
    """The confirmation moved from an inline handler to confirm.js: dismissed, nothing
    is deleted; accepted, the account is gone."""
    from pyros.accounts.models import User
    from pyros.accounts.profiles import ProfileLevel
    from tests.conftest import make_user

    carol = make_user("carol", ProfileLevel.OBSERVER)
    log_in_as_admin(page)
    page.goto(f"/users/{carol.pk}/")
    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Delete").click()
    page.wait_for_timeout(300)
    assert questions == ["Delete carol for good?"]
    assert User.objects.filter(username="carol").exists()
    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.get_by_role("button", name="Delete").click()
    assert not User.objects.filter(username="carol").exists()
