"""The web page at / in a real browser: Debian's headless Chromium driven by Playwright, against a
real `serve` process on loopback, on a fresh database with an admin made by `create-admin`.
Screenshots of the board and the timeline are left in test-artifacts/."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# No sandbox (containers and CI run as root), and nothing that would reach the internet on its own.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery"
MOMENT = r"\d{1,2} [A-Z][a-z]{2}, \d\d:\d\d"  # how the page names a moment: "14 Nov, 20:00"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}, and the web page is tested in it: install it "
                    "with `apt-get install -y chromium` (.ci/run does this on CI), or set CHROMIUM to its path.",
                    pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is not installed: run scripts/setup (it is pinned in requirements.txt).",
                    pytrace=False)
    from playwright.sync_api import expect as playwright_expect
    playwright_expect.set_options(timeout=10_000)  # a loaded CI machine answers slower
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, server):
    """Open a tab on the page (a fresh browser session each). Every request the page makes and every
    script error is recorded; a test fails if any request left the app's origin or a script broke."""
    contexts, requests, errors = [], [], []

    def open_(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US",
                                      timezone_id="UTC", accept_downloads=True)
        context.set_default_timeout(10_000)
        context.on("request", lambda request: requests.append(request.url))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
        page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error"
                and not message.text.startswith("Failed to load resource") else None)
        page.goto(server + "/")
        return page

    open_.requests = requests
    yield open_
    for context in contexts:
        context.close()
    outside = [url for url in requests if not url.startswith(server + "/") and not url.startswith(("data:", "blob:"))]
    assert not outside, f"the page reached beyond its own origin: {outside}"
    assert not errors, "\n".join(errors)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(locator)


def call_api(server: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    """The API directly, to set up what a test needs faster than clicking."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(server + path, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or "null")


def register(page, username: str | None = None) -> str:
    username = username or f"web_{uuid.uuid4().hex[:10]}"
    form = page.get_by_role("form", name="Create an account")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your board")).to_be_visible()
    return username


def log_in(page, username: str, password: str) -> None:
    form = page.get_by_role("form", name="Log in")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Log in").click()


def open_view(page, name: str, heading: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1, exact=True)).to_be_visible()


def column(page, status: str):
    return page.get_by_role("region", name=re.compile(rf"^{status} \(\d+\)$"))


def tracker_card(page, name: str):
    return page.locator(".tracker").filter(has=page.get_by_role("heading", name=name, exact=True))


def notice(page):
    return page.locator("#notice")


def token_of(page) -> str:
    return page.evaluate("sessionStorage.getItem('progress.token')")


def entry(page, sentence: str):
    """The timeline entry that says ``sentence``."""
    return page.locator(".entry").filter(has=page.locator(".sentence", has_text=re.compile(rf"^{re.escape(sentence)}")))


def confirm(page, button: str) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button).click()
    expect(dialog).to_be_hidden()


def put_answered(body: dict):
    """Matches the successful answer to the PUT that sent ``body`` (and no earlier PUT's answer)."""
    return lambda response: (response.request.method == "PUT" and response.ok
                             and response.request.post_data_json == body)


def test_register_add_a_show_track_rate_and_rewrite_its_history(open_page, server):
    page = open_page()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    username = register(page)
    expect(page.get_by_text("Your board is empty.")).to_be_visible()
    expect(page.locator("#who")).to_have_text(username)
    expect(page.get_by_role("link", name="Admin")).to_be_hidden()  # only an admin sees the catalog admin
    # The token lives in this tab's session only: no cookie, nothing in localStorage.
    assert token_of(page) and page.evaluate("localStorage.length") == 0 and page.context.cookies() == []

    # The catalog: search by title, filter by kind, put the show on the board as planned.
    open_view(page, "Catalog", "Catalog")
    page.get_by_label("Title").fill("breaking")
    page.get_by_label("Kind").select_option("tv_show")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("Showing 1–1 of 1 title")).to_be_visible()
    result = page.locator(".title").filter(has=page.get_by_role("heading", name="Breaking Bad"))
    expect(result).to_contain_text("TV show · Vince Gilligan · 2008 · 62 episodes")
    result.get_by_role("button", name="Add Breaking Bad to your board as planned").click()
    expect(notice(page)).to_have_text("Added Breaking Bad to your board as planned.")
    expect(result).to_contain_text("On your board: Planned")

    # The title's page shows its report, counting this user's tracker.
    result.get_by_role("link", name="Breaking Bad").click()
    expect(page.get_by_role("heading", name="Breaking Bad", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Who tracks it")).to_contain_text("1 person plans to watch it")
    expect(page.get_by_text("On your board: Planned")).to_be_visible()

    # The board: the card in Planned; +1 moves it to In progress at once.
    open_view(page, "Board", "Your board")
    card = tracker_card(page, "Breaking Bad")
    expect(column(page, "Planned").locator(".tracker")).to_have_count(1)
    expect(card).to_contain_text("TV show")
    expect(card).to_contain_text("0 / 62 episodes")
    card.get_by_role("button", name="+1 episode of Breaking Bad").click()
    expect(column(page, "In progress").locator(".tracker")).to_contain_text("1 / 62 episodes")
    expect(column(page, "Planned")).to_contain_text("Nothing here.")
    expect(card.get_by_role("progressbar")).to_have_attribute("value", "1")

    # The status menu: paused folds the card below the columns; back to in progress.
    card.get_by_label("Status of Breaking Bad").select_option("paused")
    expect(page.get_by_text("Paused and dropped (1)")).to_be_visible()
    expect(column(page, "In progress")).to_contain_text("Nothing here.")
    # The menu keeps the focus, so the folded part opens to show the card where it went.
    expect(page.locator("details.folded")).to_have_attribute("open", "")
    expect(column(page, "Paused").locator(".tracker")).to_contain_text("1 / 62 episodes")
    with page.expect_response(put_answered({"status": "in_progress"})):
        card.get_by_label("Status of Breaking Bad").select_option("in_progress")
    expect(column(page, "In progress").locator(".tracker")).to_have_count(1)

    # Rate four and a half stars: the stars change at once, and the rating holds after a reload.
    with page.expect_response(put_answered({"rating": 4.5})):
        card.get_by_title("4.5 stars").click()
        expect(card).to_contain_text("4.5 / 5")
    page.reload()
    expect(card).to_contain_text("1 / 62 episodes")
    expect(card).to_contain_text("4.5 / 5")
    expect(card.locator(".stars label.on")).to_have_count(9)  # nine half stars lit
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "board.png", full_page=True)

    # The timeline: newest first, one day, each entry the API's sentence.
    open_view(page, "Timeline", "Timeline")
    sentences = page.locator(".entry .sentence")
    expect(sentences).to_have_text(["Rated 4.5", "Started", "Paused", "Watched episode 1 of 62", "Planned"])
    expect(page.locator(".day h2")).to_have_count(1)
    expect(page.locator(".day h2")).to_contain_text("Today")

    # Retract the episode: the timeline says so in place, and the episode no longer counts.
    watched = entry(page, "Watched episode 1 of 62")
    watched.get_by_role("button", name=re.compile("^Retract the entry of")).click()
    expect(page.get_by_role("dialog")).to_contain_text("as if it never happened")
    confirm(page, "Retract entry")
    expect(sentences.first).to_have_text(re.compile(rf"^Retracted the entry of {MOMENT} — Watched episode 1 of 62$"))
    expect(watched).to_contain_text("retracted")
    expect(watched.get_by_role("button", name=re.compile("^Retract"))).to_have_count(0)
    expect(notice(page)).to_contain_text("Breaking Bad is as if it never happened")

    # The tracker's own timeline shows its state after every entry, and the state now.
    entry(page, "Rated 4.5").get_by_role("link", name="Breaking Bad").click()
    expect(page.get_by_role("heading", name="Timeline of Breaking Bad")).to_be_visible()
    expect(page.locator(".now-state")).to_have_text("Now: 0 / 62 episodes · In progress · rated 4.5 / 5")
    # Each state by everything known now: the retracted episode no longer counts when it was paused.
    expect(entry(page, "Paused").locator(".state")).to_have_text("After it: 0 / 62 episodes · Paused · not rated")

    # Correct the rating to 3.5.
    entry(page, "Rated 4.5").get_by_role("button", name=re.compile("^Correct the entry of")).click()
    page.get_by_role("dialog").get_by_label("Rating").select_option("3.5")
    confirm(page, "Correct entry")
    expect(sentences.first).to_have_text(re.compile(rf"^Corrected the entry of {MOMENT} — Rated 4\.5 to: rated 3\.5$"))
    expect(page.locator(".now-state")).to_have_text("Now: 0 / 62 episodes · In progress · rated 3.5 / 5")
    expect(entry(page, "Rated 4.5")).to_contain_text("corrected")

    # Restore the tracker to how it was when it was paused (with the retraction counted).
    entry(page, "Paused").get_by_role("button", name="Restore Breaking Bad to the entry of", exact=False).click()
    expect(page.get_by_role("dialog")).to_contain_text(re.compile(rf"when the entry of {MOMENT} — Paused happened,"))
    confirm(page, "Restore tracker")
    expect(sentences.first).to_have_text(re.compile(rf"^Restored to how it was on {MOMENT}$"))
    expect(page.locator(".now-state")).to_have_text("Now: 0 / 62 episodes · Paused · not rated")
    expect(notice(page)).to_have_text("Restored Breaking Bad: now 0 / 62 episodes · Paused · not rated.")
    page.screenshot(path=ARTIFACTS / "timeline.png", full_page=True)

    # The board agrees: the card is paused again, at 0 episodes, unrated.
    open_view(page, "Board", "Your board")
    page.get_by_text("Paused and dropped (1)").click()
    expect(column(page, "Paused").locator(".tracker")).to_contain_text("0 / 62 episodes")
    expect(card).to_contain_text("not rated")


def test_an_api_error_is_shown_in_the_apis_own_words(open_page, server):
    taken = f"taken_{uuid.uuid4().hex[:8]}"
    call_api(server, "POST", "/api/auth/register", body={"username": taken, "password": PASSWORD})
    page = open_page()
    form = page.get_by_role("form", name="Create an account")
    form.get_by_label("Username").fill(taken)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("That username is already taken.")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()  # still on the form
    assert token_of(page) is None

    form.get_by_label("Username").fill(f"new_{uuid.uuid4().hex[:8]}")
    form.get_by_label("Password").fill("short")
    form.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("Some fields are not valid: password.")
    expect(page.get_by_role("alert")).to_contain_text("password: A password needs 8 to 256 characters.")

    log_in(page, taken, "not the password")
    expect(page.get_by_role("alert")).to_have_text("The username or password is wrong.")
    log_in(page, taken, PASSWORD)
    expect(page.get_by_role("heading", name="Your board")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_hidden()

    # An action on the board that the API refuses: its sentence is shown, and the card shows the tracker as it is.
    open_view(page, "Catalog", "Catalog")
    page.get_by_label("Title").fill("Fleabag")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Start Fleabag").click()
    expect(page.get_by_text("On your board: In progress")).to_be_visible()
    token = token_of(page)
    user_id = call_api(server, "GET", "/api/users/me", token)["id"]
    title_id = int(page.locator(".title").first.get_attribute("data-title"))
    call_api(server, "PUT", f"/api/progress/{user_id}/trackers/{title_id}", token, {"progress": 11})
    open_view(page, "Board", "Your board")
    card = tracker_card(page, "Fleabag")
    expect(card).to_contain_text("11 / 12 episodes")
    call_api(server, "POST", "/api/progress/log", token, {"title_id": title_id, "delta": 1})  # another tab finished it
    card.get_by_role("button", name="+1 episode of Fleabag").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Progress cannot pass the title's 12 units; this change would make it 13.")
    expect(column(page, "Completed").locator(".tracker")).to_contain_text("12 / 12 episodes")

    # Logging out forgets the token; the board is then out of reach until the next login.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    assert token_of(page) is None
    page.goto(server + "/#/board")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()

    # A token the API no longer takes: back to the login form, with the API's reason.
    page.evaluate("""sessionStorage.setItem('progress.token', 'not-a-token');
                     sessionStorage.setItem('progress.user', JSON.stringify({id: 1, username: 'x', role: 'user'}))""")
    page.reload()
    expect(page.get_by_role("alert")).to_have_text("The access token is not valid.")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert token_of(page) is None


def test_an_admin_adds_edits_and_removes_a_title(open_page):
    page = open_page()
    log_in(page, ADMIN, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Your board")).to_be_visible()
    open_view(page, "Admin", "Catalog admin")
    name = f"Web Test Book {uuid.uuid4().hex[:6]}"

    add = page.get_by_role("form", name="Add a title")
    add.get_by_label("Kind").select_option("book")
    add.get_by_label("Name").fill(name)
    add.get_by_label("Creator").fill("A. Tester")
    add.get_by_label("Genres").fill("Drama, " + "x" * 51)
    add.get_by_label("Year").fill("2021")
    add.get_by_label("Total units").fill("300")
    add.get_by_role("button", name="Add title").click()
    # A refusal about one genre of a list is said in words, whatever shape the API gives it.
    expect(page.get_by_role("alert")).to_contain_text("genres: A genre has 1 to 50 characters.")
    expect(page.get_by_role("alert")).not_to_contain_text("[object Object]")
    add.get_by_label("Genres").fill("Drama, Science Fiction ")  # as a person writes them
    add.get_by_role("button", name="Add title").click()
    expect(notice(page)).to_have_text(f"Added {name} to the catalog.")
    listed = page.locator(".admin-titles .title").filter(has=page.get_by_role("heading", name=name, exact=True))
    expect(listed).to_contain_text("Book · A. Tester · 2021 · 300 pages")
    expect(listed.locator(".genres")).to_have_text("drama, science fiction")

    # The same name again is refused, in the API's words.
    add.get_by_label("Kind").select_option("book")
    add.get_by_label("Name").fill(name)
    add.get_by_label("Creator").fill("A. Tester")
    add.get_by_role("button", name="Add title").click()
    expect(page.get_by_role("alert")).to_have_text("A title of that kind, name and creator is already in the catalog.")

    listed.get_by_role("button", name=f"Edit {name}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Name")).to_have_value(name)
    dialog.get_by_label("Name").fill(f"{name} revised")
    dialog.get_by_label("Total units").fill("320")
    confirm(page, "Save title")
    expect(notice(page)).to_have_text(f"Saved {name} revised.")
    revised = page.locator(".admin-titles .title").filter(has=page.get_by_role("heading", name=f"{name} revised"))
    expect(revised).to_contain_text("Book · A. Tester · 2021 · 320 pages")

    # Users find it in the catalog as revised.
    open_view(page, "Catalog", "Catalog")
    page.get_by_label("Title").fill(name)
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".title")).to_have_count(1)
    expect(page.locator(".title h2")).to_have_text(f"{name} revised")

    open_view(page, "Admin", "Catalog admin")
    page.get_by_label("Find a title").fill(name)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=f"Remove {name} revised").click()
    confirm(page, "Remove title")
    expect(notice(page)).to_have_text(f"Removed {name} revised from the catalog.")
    expect(page.get_by_text("No title matches.")).to_be_visible()
    open_view(page, "Catalog", "Catalog")
    page.get_by_label("Title").fill(name)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No title matches.", exact=False)).to_be_visible()

    # A title someone tracks stays, and the admin is told why.
    page.get_by_label("Title").fill("Seinfeld")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Add Seinfeld to your board as planned").click()
    expect(page.get_by_text("On your board: Planned")).to_be_visible()
    open_view(page, "Admin", "Catalog admin")
    page.get_by_label("Find a title").fill("Seinfeld")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Remove Seinfeld").click()
    confirm(page, "Remove title")
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Title \d+ cannot be deleted: 1 user tracks it\.$"))


def test_the_account_changes_its_email_and_password_which_logs_out_elsewhere_and_can_be_erased(open_page):
    page = open_page()
    username = register(page)
    elsewhere = open_page()  # the same account in another browser
    log_in(elsewhere, username, PASSWORD)
    expect(elsewhere.get_by_role("heading", name="Your board")).to_be_visible()

    page.get_by_role("link", name=username).click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    expect(page.locator(".account-view .lead")).to_contain_text(f"{username}, here since ")
    email = page.get_by_role("form", name="Email")
    email.get_by_label("Email").fill("reader@example.org")
    email.get_by_role("button", name="Save email").click()
    expect(notice(page)).to_have_text("Your email is now reader@example.org.")

    password = page.get_by_role("form", name="Password")
    password.get_by_label("New password").fill("a brand new secret")
    password.get_by_label("Repeat it").fill("a different one")
    password.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_have_text("The two passwords differ; type the same one twice.")
    password.get_by_label("New password").fill("a brand new secret")
    password.get_by_label("Repeat it").fill("a brand new secret")
    password.get_by_role("button", name="Change password").click()
    expect(notice(page)).to_have_text("Your password is changed. You are logged out everywhere else.")
    open_view(page, "Board", "Your board")  # this tab goes on, with a new token

    # the other browser's token ended with the old password
    elsewhere.get_by_role("navigation", name="Main").get_by_role("link", name="Timeline").click()
    expect(elsewhere.get_by_role("heading", name="Log in")).to_be_visible()
    expect(elsewhere.get_by_role("alert")).to_have_text(
        "The account's password has changed since this token was issued; log in again.")

    page.get_by_role("link", name=username).click()
    page.get_by_role("button", name="Erase my account").click()
    confirm(page, "Erase everything")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(notice(page)).to_have_text("Your account and its history were erased.")
    log_in(page, username, "a brand new secret")
    expect(page.get_by_role("alert")).to_have_text("The username or password is wrong.")


def test_the_summary_counts_trackers_and_draws_a_year_of_activity(open_page, server):
    page = open_page()
    username = register(page)
    token = token_of(page)
    titles = {t["name"]: t["id"] for t in call_api(server, "GET", "/api/titles?kind=tv_show&q=the+wire")["items"]}
    wire = titles["The Wire"]
    book = call_api(server, "GET", "/api/titles?kind=book&limit=1")["items"][0]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    days_ago = lambda n: (now - timedelta(days=n)).isoformat()  # noqa: E731
    # 200 days ago is beyond the summary route's 30 days: the calendar reads the log itself.
    for change, when in [({"status": "in_progress"}, days_ago(200)), ({"progress": 5}, days_ago(200)),
                         ({"delta": 1}, days_ago(3)), ({"delta": 1}, days_ago(3)), ({"rating": 4}, days_ago(3))]:
        call_api(server, "POST", "/api/progress/log", token, {"title_id": wire, **change, "occurred_at": when})
    call_api(server, "POST", "/api/progress/log", token, {"title_id": book["id"], "status": "planned"})

    open_view(page, "Summary", "Summary")
    tile = lambda kind, name: page.locator(f".tile[data-{kind}='{name}']")  # noqa: E731
    expect(tile("status", "in_progress")).to_have_text("1In progress")
    expect(tile("status", "planned")).to_have_text("1Planned")
    expect(tile("status", "completed")).to_have_text("0Completed")
    expect(tile("unit", "episode")).to_have_text("7episodes watched")
    expect(page.locator(".by-kind tr[data-kind='tv_show']")).to_have_text(re.compile(r"TV show\s*0\s*1\s*0\s*0\s*0"))
    expect(page.get_by_text("1 rating, 4.0 on average.")).to_be_visible()

    calendar = page.locator(".calendar-grid")
    expect(calendar).to_have_attribute("aria-label", "6 entries on 3 days in the last year")
    expect(page.get_by_text("3 active days in the last year")).to_be_visible()
    day = lambda n: calendar.locator(f"[data-date='{(now - timedelta(days=n)).date().isoformat()}']")  # noqa: E731
    expect(day(200)).to_have_attribute("title", re.compile(r"^2 entries on "))
    expect(day(3)).to_have_attribute("title", re.compile(r"^3 entries on "))
    expect(day(3)).to_have_class(re.compile(r"\blevel-4\b"))
    expect(day(0)).to_have_attribute("title", re.compile(r"^1 entry on "))
    expect(day(1)).to_have_class(re.compile(r"\blevel-0\b"))
    assert calendar.locator(".day").count() == 53 * 7
    bars = page.locator(".week-chart rect.bar")
    expect(bars).to_have_count(53)
    assert sum(int(bar.get_attribute("data-count")) for bar in bars.all()) == 6
    page.screenshot(path=ARTIFACTS / "summary.png", full_page=True)

    # Export: both files come down with the bearer token, and hold every entry.
    open_view(page, "Export", "Export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert re.fullmatch(rf"progress-{username}-\d{{4}}-\d\d-\d\d\.csv", download.value.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["summary"] for row in rows if row["title"] == "The Wire"] == [
        "Started", "Watched episode 5 of 60", "Watched episode 6 of 60", "Watched episode 7 of 60", "Rated 4"]
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    entries = json.loads(Path(download.value.path()).read_text())
    assert len(entries) == 6 and entries[-1]["title"]["name"] == book["name"]
    expect(notice(page)).to_have_text("Downloaded your history as JSON.")


def test_the_timeline_pages_back_and_filters_by_title_and_the_catalog_by_genre(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    show = call_api(server, "GET", "/api/titles?q=the+sopranos&kind=tv_show")["items"][0]
    song = call_api(server, "GET", "/api/titles?kind=song&limit=1")["items"][0]
    call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], "delta": 1})
    for _ in range(51):
        call_api(server, "POST", "/api/progress/log", token, {"title_id": song["id"], "delta": 1})

    # A song has no total: its card counts plays, with no bar.
    open_view(page, "Board", "Your board")
    expect(tracker_card(page, song["name"])).to_contain_text("51 plays")
    expect(tracker_card(page, song["name"]).get_by_role("progressbar")).to_have_count(0)
    expect(tracker_card(page, song["name"]).get_by_role("button", name=f"+1 play of {song['name']}")).to_be_visible()

    # 52 entries: a page of 50, then the older ones on request.
    open_view(page, "Timeline", "Timeline")
    sentences = page.locator(".entry .sentence")
    expect(sentences).to_have_count(50)
    expect(sentences.first).to_have_text("Played it (51 plays so far)")
    page.get_by_role("button", name="Load older entries").click()
    expect(sentences).to_have_count(52)
    expect(sentences.last).to_have_text("Watched episode 1 of 86")
    expect(page.get_by_role("button", name="Load older entries")).to_have_count(0)

    # Filtered by a title, it is that tracker's timeline.
    page.get_by_label("Show entries of").select_option(label="The Sopranos")
    expect(page.get_by_role("heading", name="Timeline of The Sopranos")).to_be_visible()
    expect(sentences).to_have_text(["Watched episode 1 of 86"])
    expect(page.locator(".entry .state")).to_have_text("After it: 1 / 86 episodes · In progress · not rated")

    # The catalog by genre and kind: every title shown has both.
    open_view(page, "Catalog", "Catalog")
    page.get_by_label("Genre").select_option("comedy")
    page.get_by_label("Kind").select_option("tv_show")
    expect(page).to_have_url(re.compile(r"#/catalog\?genre=comedy&kind=tv_show$"))  # the address keeps the search
    expect(page.get_by_text(re.compile(r"^Showing 1–\d+ of \d+ titles$"))).to_be_visible()
    assert page.locator(".title").count() > 1
    shown = zip(page.locator(".title .meta").all_inner_texts(), page.locator(".title .genres").all_inner_texts())
    for meta, genres in shown:
        assert meta.startswith("TV show") and "comedy" in genres.split(", ")
    page.get_by_label("Sort").select_option("-year")
    expect(page).to_have_url(re.compile(r"sort=-year$"))
    years = [int(re.search(r"· (\d{4}) ·", meta).group(1)) for meta in page.locator(".title .meta").all_inner_texts()]
    assert years == sorted(years, reverse=True)


def test_the_timeline_lists_what_happened_by_the_day_it_happened_today_first(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    show = call_api(server, "GET", "/api/titles?q=breaking+bad&kind=tv_show")["items"][0]
    now = datetime.now(timezone.utc)
    weeks_ago = (now - timedelta(weeks=6)).replace(hour=20, minute=0, second=0, microsecond=0)
    call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], "progress": 5})
    # Logged after episode 5, as having happened six weeks ago: it takes its place in that day.
    call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], "progress": 2,
                                                           "occurred_at": weeks_ago.isoformat()})

    open_view(page, "Timeline", "Timeline")
    days = page.locator(".day")
    expect(days).to_have_count(2)
    expect(days.nth(0).locator("h2")).to_contain_text("Today")
    expect(days.nth(0).locator(".sentence")).to_have_text(["Watched episode 5 of 62"])
    expect(days.nth(1).locator("h2")).not_to_contain_text("Today")
    expect(days.nth(1).locator(".sentence")).to_have_text(["Watched episode 2 of 62"])
    expect(days.nth(1).locator("time")).to_have_text("20:00")

    # Its own timeline: the tracker stays at episode 5, and stood at 2 six weeks ago.
    page.get_by_label("Show entries of").select_option(label="Breaking Bad")
    expect(page.locator(".now-state")).to_contain_text("5 / 62 episodes")
    expect(page.locator(".entry .state")).to_have_text([
        "After it: 5 / 62 episodes · In progress · not rated", "After it: 2 / 62 episodes · In progress · not rated"])
    shown = page.locator(".timeline").inner_text()
    assert not re.search(r"\bentry \d|\bversion\b", shown), shown  # words and dates, never log ids
    page.screenshot(path=ARTIFACTS / "timeline-occurred.png", full_page=True)


def test_keyboard_alone_logs_episodes_and_rates(open_page):
    page = open_page()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    register(page)
    open_view(page, "Catalog", "Catalog")
    page.get_by_label("Title").fill("Fawlty Towers")
    page.keyboard.press("Enter")  # the search form submits from the field
    start = page.get_by_role("button", name="Start Fawlty Towers")
    start.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("On your board: In progress")).to_be_visible()
    open_view(page, "Board", "Your board")
    plus = page.get_by_role("button", name="+1 episode of Fawlty Towers")
    for _ in range(5):  # from the board's heading: the card's title link, then +1
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "+1 episode of Fawlty Towers":
            break
    expect(plus).to_be_focused()
    # Focus is visible, and stays on +1 while the card redraws, so Enter can be pressed again.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(tracker_card(page, "Fawlty Towers")).to_contain_text("1 / 12 episodes")
    expect(plus).to_be_focused()
    with page.expect_response(lambda r: r.request.method == "GET" and "/trackers/" in r.url):
        page.keyboard.press("Enter")
    expect(tracker_card(page, "Fawlty Towers")).to_contain_text("2 / 12 episodes")
    # Stars are a radio group: arrows move half a star at a time, one rating is sent at the end.
    page.get_by_role("radio", name="3 stars", exact=True).focus()
    page.keyboard.press("Space")
    with page.expect_response(lambda r: r.request.method == "PUT" and r.ok) as rated:
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
    assert rated.value.request.post_data_json == {"rating": 4}
    expect(tracker_card(page, "Fawlty Towers")).to_contain_text("4 / 5")


def test_a_phone_sized_screen_shows_every_view_without_sideways_scrolling(open_page, server):
    page = open_page(390, 844)
    register(page)
    token = token_of(page)
    for name in ("Friends", "The Office"):
        title = call_api(server, "GET", f"/api/titles?q={name.replace(' ', '+')}&kind=tv_show")["items"][0]
        call_api(server, "POST", "/api/progress/log", token, {"title_id": title["id"], "delta": 3})
    for view, heading in [("Board", "Your board"), ("Catalog", "Catalog"), ("Timeline", "Timeline"),
                          ("Calendar", f"Calendar: {datetime.now(timezone.utc):%B %Y}"),
                          ("Summary", "Summary"), ("Goals", "Goals"), ("Year in review", "Year in review"),
                          ("Export", "Export")]:
        open_view(page, view, heading)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{view} is {width} px wide on a 390 px screen"
        if view == "Board":
            expect(tracker_card(page, "Friends")).to_contain_text("3 / 236 episodes")
            page.screenshot(path=ARTIFACTS / "board-phone.png", full_page=True)
        if view == "Timeline":
            expect(page.locator(".entry .sentence").first).to_have_text("Watched episode 3 of 201")
            page.screenshot(path=ARTIFACTS / "timeline-phone.png", full_page=True)
    page.locator("#who").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the account is {width} px wide on a 390 px screen"
    page.screenshot(path=ARTIFACTS / "account-phone.png", full_page=True)


def test_every_request_the_page_makes_stays_on_the_apps_origin(open_page, server):
    page = open_page()
    log_in(page, ADMIN, ADMIN_PASSWORD)
    for view, heading in [("Board", "Your board"), ("Catalog", "Catalog"), ("Timeline", "Timeline"),
                          ("Summary", "Summary"), ("Export", "Export"), ("Admin", "Catalog admin")]:
        open_view(page, view, heading)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    page.locator(".title h2 a").first.click()
    expect(page.get_by_role("region", name="Who tracks it")).to_be_visible()
    page.wait_for_load_state("networkidle")
    requests = open_page.requests
    assert any(url.endswith("/app/style.css") for url in requests) and any("/api/titles" in url for url in requests)
    assert all(url.startswith(server + "/") for url in requests), [u for u in requests if not u.startswith(server)]
    # The page says so to the browser too: its Content-Security-Policy allows only its own origin.
    policy = page.request.get(server + "/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy


def test_a_figure_of_the_summary_and_of_a_report_opens_what_makes_it(open_page, server):
    page = open_page()
    username = register(page)
    token = token_of(page)
    find = lambda name: call_api(server, "GET", f"/api/titles?q={name.replace(' ', '+')}&kind=tv_show")["items"][0]  # noqa: E731
    firefly, peaks = find("Firefly"), find("Twin Peaks")
    today = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    when = lambda days, hour: today.replace(hour=hour) - timedelta(days=days)  # noqa: E731
    log = lambda title, change, moment: call_api(server, "POST", "/api/progress/log", token, {  # noqa: E731
        "title_id": title["id"], **change, "occurred_at": moment.isoformat()})["id"]
    log(firefly, {"progress": 14}, when(20, 9))
    log(peaks, {"progress": 5}, when(10, 20))
    log(peaks, {"delta": 1}, when(9, 10))
    retracted = log(peaks, {"delta": 1}, when(9, 11))
    log(peaks, {"rating": 4}, when(9, 12))
    call_api(server, "DELETE", f"/api/progress/log/{retracted}", token)  # episode 7 no longer counts
    other = call_api(server, "POST", "/api/auth/register", body={"username": f"web_{uuid.uuid4().hex[:10]}",
                                                                 "password": PASSWORD})
    for change in ({"progress": 48}, {"rating": 5}):
        call_api(server, "POST", "/api/progress/log", other["access_token"], {"title_id": peaks["id"], **change})

    # The summary's episodes: each title's part, and the entries behind it in words and dates.
    open_view(page, "Summary", "Summary")
    episodes = page.locator(".tile[data-unit='episode']").get_by_role("button")
    expect(episodes).to_have_text("20episodes watched")
    episodes.click()
    dialog = page.get_by_role("dialog", name="20 episodes watched")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".sum")).to_have_text("14 + 6 = 20 episodes.")
    parts = dialog.locator(".part")
    expect(parts.locator("p")).to_have_text(["Firefly — 14 episodes, from", "Twin Peaks — 6 episodes, from"])
    expect(parts.nth(0).locator(".because li")).to_have_text([
        f"the entry of {moment(when(20, 9))} — Watched episode 14 of 14"])
    expect(parts.nth(1).locator(".because li")).to_have_text([
        f"the entry of {moment(when(10, 20))} — Watched episode 5 of 48",
        f"the entry of {moment(when(9, 10))} — Watched episode 6 of 48"])
    said = dialog.inner_text()
    assert not re.search(r"\bentry \d|\bversion\b|\bid\b", said), said  # words and dates, never log ids
    page.screenshot(path=ARTIFACTS / "summary-explained.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(episodes).to_be_focused()

    # From the keyboard: Enter on a count opens which tracker it is and the entry that set its status.
    page.locator(".tile[data-status='in_progress']").get_by_role("button").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="In progress: 1 tracker")
    expect(dialog.locator(".sum")).to_have_text("One tracker makes it.")
    expect(dialog.locator(".part p")).to_have_text("Twin Peaks — in progress since")
    expect(dialog.locator(".because li")).to_have_text(f"the entry of {moment(when(10, 20))} — Watched episode 5 of 48")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="4.0 on average: what makes it").click()
    dialog = page.get_by_role("dialog", name="Average rating: 4")
    expect(dialog.locator(".because li")).to_have_text(f"the entry of {moment(when(9, 12))} — Rated 4")
    page.keyboard.press("Escape")

    # The title's report: its figures open their parts, and no one is named.
    page.goto(f"{server}/#/titles/{peaks['id']}")
    report = page.get_by_role("region", name="Who tracks it")
    report.get_by_role("button", name="1 person is watching it: what makes it").click()
    dialog = page.get_by_role("dialog", name="1 person is watching it")
    expect(dialog.locator(".sum")).to_have_text("1 person, by how far they are:")
    expect(dialog.locator(".part")).to_have_text(["1 person with 6 episodes done"])
    page.keyboard.press("Escape")
    report.get_by_role("button", name="★ 4.5 on average: what makes it").click()
    dialog = page.get_by_role("dialog", name="Average rating: 4.5")
    expect(dialog.locator(".sum")).to_have_text("(5 × 1 + 4 × 1) / 2 = 4.5 on average.")
    expect(dialog.locator(".part")).to_have_text(["1 person gave it 5 ★", "1 person gave it 4 ★"])
    assert username not in dialog.inner_text() and other["user"]["username"] not in dialog.inner_text()
    page.keyboard.press("Escape")
    report.get_by_role("button", name="50% finished it: what makes it").click()
    dialog = page.get_by_role("dialog", name="50% finished it")
    expect(dialog.locator(".sum")).to_have_text("1 of 2 finished it: 50%.")
    expect(dialog.locator(".part")).to_have_text(["1 person finished it", "1 person did not finish it (yet)"])
    page.screenshot(path=ARTIFACTS / "report-explained.png")


def test_the_trackers_page_lists_its_passes_and_starts_it_again(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    show = call_api(server, "GET", "/api/titles?q=breaking+bad&kind=tv_show")["items"][0]
    for change, when in [({"status": "in_progress"}, "2026-01-03T20:00:00+00:00"),
                         ({"progress": 62}, "2026-02-14T20:00:00+00:00"), ({"rating": 4}, "2026-02-14T21:00:00+00:00")]:
        call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], **change, "occurred_at": when})

    open_view(page, "Timeline", "Timeline")
    page.get_by_label("Show entries of").select_option(label="Breaking Bad")
    expect(page.get_by_role("heading", name="Timeline of Breaking Bad")).to_be_visible()
    passes = page.get_by_role("region", name="Passes")
    expect(passes.get_by_role("listitem")).to_have_text(["Pass 1 · Jan 3 – Feb 14, 2026 · 62 of 62 episodes · ★4"])
    expect(page.locator(".now-state")).to_have_text("Now: 62 / 62 episodes · Completed · rated 4 / 5")

    # Start again: it asks first, and Cancel changes nothing.
    rewatch = passes.get_by_role("button", name="Rewatch Breaking Bad: start pass 2")
    expect(rewatch).to_have_text("Rewatch")
    rewatch.click()
    expect(page.get_by_role("dialog")).to_contain_text("pass 2 begins now, at 0 episodes, in progress")
    confirm(page, "Cancel")
    expect(page.locator(".entry")).to_have_count(3)
    today = datetime.now(timezone.utc)  # the new pass begins now: today, or tomorrow past midnight
    since = "|".join(f"{day:%b} {day.day}, {day.year}" for day in (today, today + timedelta(days=1)))
    rewatch.click()
    confirm(page, "Start pass 2")
    expect(notice(page)).to_have_text("Started Breaking Bad again: pass 2, in progress.")
    expect(page.locator(".now-state")).to_have_text("Now: Pass 2 · 0 / 62 episodes · In progress · rated 4 / 5")
    expect(passes.get_by_role("listitem")).to_have_text([
        "Pass 1 · Jan 3 – Feb 14, 2026 · 62 of 62 episodes · ★4",
        re.compile(rf"^Pass 2 · since ({since}) · 0 of 62 episodes$")])
    started = entry(page, "Started watching again (pass 2)")
    expect(started.locator(".state")).to_have_text("After it: Pass 2 · 0 / 62 episodes · In progress · rated 4 / 5")
    expect(page.get_by_role("button", name="Rewatch Breaking Bad: start pass 3")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "passes.png", full_page=True)

    # The new pass is an entry like any other: retracted, it is as if it had never been made.
    expect(started.get_by_role("button", name=re.compile("^Correct"))).to_have_count(0)
    started.get_by_role("button", name=re.compile("^Retract the entry of")).click()
    confirm(page, "Retract entry")
    expect(page.locator(".now-state")).to_have_text("Now: 62 / 62 episodes · Completed · rated 4 / 5")
    expect(passes.get_by_role("listitem")).to_have_text(["Pass 1 · Jan 3 – Feb 14, 2026 · 62 of 62 episodes · ★4"])


def moment(timestamp: str | datetime, *, seconds: bool = False) -> str:
    """A moment as the page names it in the tests' UTC browser: "14 Nov, 20:00" ("14 Nov 2025, 20:00"
    in another year; "14 Nov, 20:00:05" with ``seconds``, for a moment typed to the second)."""
    when = (datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else timestamp).astimezone(timezone.utc)
    year = "" if when.year == datetime.now(timezone.utc).year else f" {when.year}"
    return f"{when.day} {when:%b}{year}, {when:%H:%M}" + (f":{when.second:02}" if seconds and when.second else "")


def local_input(when: datetime) -> str:
    """A time as a datetime-local input takes it in the tests' UTC browser, to the second."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def a_title(server: str, name: str, kind: str) -> dict:
    [found] = [t for t in call_api(server, "GET", f"/api/titles?q={name.replace(' ', '+')}&kind={kind}")["items"]
               if t["name"] == name]
    return found


def test_a_retraction_a_correction_and_a_rollback_are_undone_from_the_timeline(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    show = a_title(server, "Breaking Bad", "tv_show")
    call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], "progress": 2})
    fifth = call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], "progress": 5})
    call_api(server, "DELETE", f"/api/progress/log/{fifth['id']}", token)
    the_fifth = f"the entry of {moment(fifth['occurred_at'])} — Watched episode 5 of 62"

    open_view(page, "Timeline", "Timeline")
    page.get_by_label("Show entries of").select_option(label="Breaking Bad")
    expect(page.locator(".now-state")).to_have_text("Now: 2 / 62 episodes · In progress · not rated")
    watched = entry(page, "Watched episode 5 of 62")
    expect(watched.locator(".badge")).to_have_text("retracted")
    retraction = entry(page, f"Retracted {the_fifth}")
    expect(retraction.get_by_role("button", name=re.compile("^Retract"))).to_have_count(0)  # retracting is for changes
    expect(watched.get_by_role("button", name=re.compile("^Undo"))).to_have_count(0)

    undo = retraction.get_by_role("button", name=re.compile("^Undo this retraction"))
    undo.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text(f"Undo the retraction of {the_fifth}?")
    expect(dialog).to_contain_text("Breaking Bad will be as if this retraction had never been made")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # Enter alone changes nothing
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Undo retraction")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()

    expect(notice(page)).to_have_text(f"Undid the retraction of {the_fifth}.")
    expect(page.locator(".now-state")).to_have_text("Now: 5 / 62 episodes · In progress · not rated")
    expect(page.locator(".entry .sentence").first).to_have_text(f"Undid the retraction of {the_fifth}")
    expect(watched.locator(".badge")).to_have_count(0)  # it counts again
    expect(retraction.locator(".badge")).to_have_text("undone")
    expect(retraction.get_by_role("button", name=re.compile("^Undo"))).to_have_count(0)
    expect(page.locator(".entry").first).to_be_focused()  # the keyboard goes on from the newest entry
    page.screenshot(path=ARTIFACTS / "timeline-undone.png", full_page=True)

    # A correction and a rollback are undone the same way.
    call_api(server, "PUT", f"/api/progress/log/{fifth['id']}", token, {"progress": 7})
    page.reload()
    corrected = entry(page, f"Corrected {the_fifth} to: episode 7")
    expect(page.locator(".now-state")).to_have_text("Now: 7 / 62 episodes · In progress · not rated")
    corrected.get_by_role("button", name=re.compile("^Undo this correction")).click()
    confirm(page, "Undo correction")
    expect(notice(page)).to_have_text(f"Undid the correction of {the_fifth}.")
    expect(page.locator(".now-state")).to_have_text("Now: 5 / 62 episodes · In progress · not rated")
    expect(corrected.locator(".badge")).to_have_text("undone")

    call_api(server, "POST", f"/api/progress/{fifth['user_id']}/trackers/{show['id']}/rollback", token,
             {"to_version": 1})
    page.reload()
    rollback = entry(page, "Restored to how it was right after the entry of ")
    expect(rollback.locator(".sentence")).to_have_text(re.compile(rf"^Restored to how it was right after the entry of "
                                                                  rf"{MOMENT} — Watched episode 2 of 62$"))
    expect(page.locator(".now-state")).to_have_text("Now: 2 / 62 episodes · In progress · not rated")
    rollback.get_by_role("button", name=re.compile("^Undo this rollback")).click()
    confirm(page, "Undo rollback")
    expect(notice(page)).to_have_text(re.compile(rf"^Undid the rollback of {MOMENT}\.$"))
    expect(page.locator(".now-state")).to_have_text("Now: 5 / 62 episodes · In progress · not rated")
    for sentence in page.locator(".entry .sentence").all_inner_texts():
        assert not re.search(r"\bentry \d|version \d", sentence), sentence  # words, never log ids or versions

    open_view(page, "Board", "Your board")
    expect(tracker_card(page, "Breaking Bad")).to_contain_text("5 / 62 episodes")


def test_the_undo_dialog_previews_a_range_applies_it_and_the_undo_is_undone_on_a_phone(open_page, server):
    page = open_page(390, 844)
    register(page)
    token = token_of(page)
    show, book = a_title(server, "Breaking Bad", "tv_show"), a_title(server, "Dune", "book")
    song = a_title(server, "Bad Guy", "song")
    log = lambda change: call_api(server, "POST", "/api/progress/log", token, change)  # noqa: E731
    # Before the range: Breaking Bad at episode 2, Dune at page 10.
    log({"title_id": show["id"], "progress": 2})
    dune = log({"title_id": book["id"], "progress": 10})
    time.sleep(1.1)  # the range starts on a later second than anything before it
    evening = [log({"title_id": show["id"], "progress": 5}), log({"title_id": show["id"], "rating": 4}),
               log({"title_id": song["id"], "delta": 3}),
               call_api(server, "DELETE", f"/api/progress/log/{dune['id']}", token)]
    since = datetime.fromisoformat(evening[0]["recorded_at"]).replace(microsecond=0)
    until = datetime.fromisoformat(evening[-1]["recorded_at"]).replace(microsecond=0) + timedelta(seconds=1)

    open_view(page, "Timeline", "Timeline")
    page.get_by_role("button", name="Undo…").click()
    dialog = page.get_by_role("dialog", name="Undo what you logged")
    expect(dialog).to_be_visible()

    # Nothing of this account was logged yesterday: the preview says so and offers nothing to apply.
    dialog.get_by_label("Everything I logged yesterday").check()
    dialog.get_by_role("button", name="Preview").click()
    expect(dialog.locator(".undo-summary")).to_have_text("Nothing was logged in that range.")
    expect(dialog.get_by_role("button", name="Apply")).to_have_count(0)

    dialog.get_by_label("Everything I logged between two times").check()
    dialog.get_by_label("From").fill(local_input(since))
    dialog.get_by_label("To (not included)").fill(local_input(until))
    dialog.get_by_role("button", name="Preview").click()
    expect(dialog.locator(".undo-summary")).to_have_text("This takes back 4 entries:")
    changes = dialog.locator(".undo-changes li")
    expect(changes).to_have_count(3)
    assert sorted(changes.all_inner_texts()) == sorted([
        "Breaking Bad: episode 5 → episode 2; rating ★4 → none",
        "Dune: no tracker → page 10 of 412",
        "Bad Guy: 3 plays → removed"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the undo dialog makes the page {width} px wide on a 390 px screen"
    page.screenshot(path=ARTIFACTS / "undo-phone.png", full_page=True)
    # The preview appended nothing: the timeline still shows the evening's entries counting.
    expect(entry(page, "Rated 4").locator(".badge")).to_have_count(0)

    dialog.get_by_role("button", name="Apply").click()
    expect(dialog).to_be_hidden()
    expect(notice(page).locator("p").first).to_have_text(
        f"Undid 4 entries: everything you logged from {moment(since, seconds=True)} to {moment(until, seconds=True)}.")
    expect(notice(page).locator(".undo-changes li")).to_have_count(3)
    expect(entry(page, "Rated 4").locator(".badge")).to_have_text("retracted")
    expect(entry(page, "Watched episode 5 of 62").locator(".badge")).to_have_text("retracted")
    expect(entry(page, "Played it (3 plays so far)").locator(".badge")).to_have_text("retracted")
    take_back = notice(page).get_by_role("button", name="Undo this undo")
    expect(take_back).to_be_focused()  # the likely next step is one key away

    take_back.click()
    expect(notice(page).locator("p").first).to_have_text("The undo is undone: those 4 entries count again.")
    assert sorted(notice(page).locator(".undo-changes li").all_inner_texts()) == sorted([
        "Breaking Bad: episode 2 → episode 5; rating none → ★4",
        "Dune: page 10 of 412 → removed",
        "Bad Guy: no tracker → 3 plays"])
    expect(entry(page, "Rated 4").locator(".badge")).to_have_count(0)
    expect(page.locator(".entry .sentence").first).to_have_text(re.compile(r"^Undid the retraction of the entry of "))

    open_view(page, "Board", "Your board")
    expect(tracker_card(page, "Breaking Bad")).to_contain_text("5 / 62 episodes")
    expect(tracker_card(page, "Breaking Bad")).to_contain_text("4 / 5")
    expect(tracker_card(page, "Bad Guy")).to_contain_text("3 plays")
    expect(tracker_card(page, "Dune")).to_have_count(0)


def test_a_tracker_is_shown_as_it_was_at_a_time_and_as_it_was_known_then(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    show = a_title(server, "Breaking Bad", "tv_show")
    log = lambda change: call_api(  # noqa: E731
        server, "POST", "/api/progress/log", token, {"title_id": show["id"], **change})
    log({"status": "in_progress"})
    log({"progress": 3})
    noted = log({"note": "The pilot hooks you"})
    then = datetime.fromisoformat(noted["recorded_at"]).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(max(0.0, (then - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    log({"progress": 7, "occurred_at": then.isoformat()})  # learnt after `then`, about `then`
    log({"progress": 9})
    log({"rating": 4})

    page.goto(f"{server}/#/titles/{show['id']}")
    section = page.get_by_role("region", name="Your tracker in the past")
    section.get_by_label("See it as it was on…").fill(local_input(then))
    section.get_by_role("button", name="Show").click()
    shown = section.locator(".then-state")
    expect(shown.locator("p")).to_have_text(f"On {moment(then, seconds=True)}:")
    expect(shown.locator("dl > div")).to_have_text(["StatusIn progress", "Progress7 / 62 episodes", "Ratingnot rated",
                                                     "NotesThe pilot hooks you"])

    section.get_by_label("as we knew it then").check()  # episode 7 was logged later: it was at 3 as known then
    expect(shown.locator("p")).to_have_text(f"On {moment(then, seconds=True)}, as we knew it then:")
    expect(shown.locator("dl > div")).to_have_text(["StatusIn progress", "Progress3 / 62 episodes", "Ratingnot rated",
                                                     "NotesThe pilot hooks you"])
    page.screenshot(path=ARTIFACTS / "title-then.png", full_page=True)

    before = datetime.now(timezone.utc) - timedelta(days=10)
    section.get_by_label("See it as it was on…").fill(local_input(before))
    section.get_by_label("See it as it was on…").press("Enter")  # the form submits from the field
    expect(shown).to_have_text("No tracker yet on that date, as we knew it then.")
    section.get_by_label("as we knew it then").uncheck()
    expect(shown).to_have_text("No tracker yet on that date.")


def test_a_new_tracker_on_an_own_title_goes_on_the_board_and_only_its_owner_sees_it(open_page, server):
    page = open_page()
    register(page)
    open_view(page, "Your titles", "Your own titles")
    expect(page.get_by_text("You have made no titles of your own yet.")).to_be_visible()
    form = page.get_by_role("form", name="New tracker")
    form.get_by_label("Kind").select_option("book")
    form.get_by_label("Name").fill("Grandma's recipe book")
    form.get_by_label("Total units").fill("40")
    form.get_by_role("button", name="Start tracking").click()
    expect(page.locator("#status")).to_have_text("Grandma's recipe book is on your board, planned.")
    mine = page.locator(".own-titles .title")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("Book · 40 pages")

    open_view(page, "Board", "Your board")
    card = tracker_card(page, "Grandma's recipe book")
    expect(column(page, "Planned").locator(".tracker")).to_have_count(1)
    card.get_by_role("button", name="+1 page of Grandma's recipe book").click()
    expect(column(page, "In progress").locator(".tracker")).to_contain_text("Grandma's recipe book")
    expect(tracker_card(page, "Grandma's recipe book")).to_contain_text("1 / 40 pages")

    card.get_by_role("link", name="Grandma's recipe book").click()
    expect(page.get_by_role("heading", name="Grandma's recipe book", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="← Your titles")).to_be_visible()
    expect(page.get_by_role("heading", name="Who tracks it")).to_have_count(0)
    title_id = int(page.evaluate("location.hash").split("/")[-1])

    open_view(page, "Your titles", "Your own titles")
    page.get_by_role("button", name="Remove Grandma's recipe book").click()
    confirm(page, "Remove title")
    expect(notice(page)).to_contain_text("cannot be deleted")
    expect(page.locator(".own-titles .title")).to_have_count(1)

    open_view(page, "Catalog", "Catalog")
    page.get_by_role("search").get_by_role("searchbox").fill("recipe")
    page.get_by_role("search").get_by_role("button").click()
    expect(page.get_by_text("No title matches", exact=False)).to_be_visible()

    other = open_page()
    register(other)
    other.evaluate(f"location.hash = '#/titles/{title_id}'")
    expect(other.get_by_role("heading", name="Something went wrong")).to_be_visible()
    expect(notice(other)).to_contain_text(f"There is no title {title_id}")


UNIT = re.compile(r"^Unit")  # the custom title's unit field (not "Total units")


def new_custom_tracker(page, name: str, unit: str) -> None:
    """Make a custom title counted in ``unit`` on the Your own titles view."""
    form = page.get_by_role("form", name="New tracker")
    form.get_by_label("Kind").select_option(label="Something of my own")
    form.get_by_label("Name").fill(name)
    form.get_by_label(UNIT).fill(unit)
    form.get_by_role("button", name="Start tracking").click()
    expect(page.locator("#status")).to_have_text(f"{name} is on your board, planned.")


def history_of(server: str, token: str, user_id: int, title_id: int) -> list[str]:
    return [item["summary"] for item in call_api(
        server, "GET", f"/api/progress/{user_id}/history?title_id={title_id}", token)["items"]]


def test_a_custom_title_in_km_takes_decimal_amounts_and_a_catalog_tracker_keeps_whole_ones(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    user_id = call_api(server, "GET", "/api/users/me", token)["id"]
    show = a_title(server, "Breaking Bad", "tv_show")
    call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], "progress": 2})

    # The unit is asked for only when the title is one's own kind of thing.
    open_view(page, "Your titles", "Your own titles")
    form = page.get_by_role("form", name="New tracker")
    expect(form.get_by_label(UNIT)).to_be_hidden()
    form.get_by_label("Kind").select_option(label="Something of my own")
    unit = form.get_by_label(UNIT)
    expect(unit).to_be_visible()
    expect(unit).to_have_attribute("maxlength", "20")
    expect(form).to_contain_text("1 to 20 characters: km, hour, glass")
    form.get_by_label("Name").fill("Running")
    unit.fill("   ")  # the browser takes it; the API does not
    form.get_by_role("button", name="Start tracking").click()
    expect(form.get_by_role("alert")).to_have_text(
        "A custom title's unit is a word of 1 to 20 characters, such as km, hour or glass; got ''.")
    expect(unit).to_have_attribute("aria-invalid", "true")
    assert call_api(server, "GET", f"/api/progress/{user_id}/titles", token)["items"] == []
    unit.fill("km")
    form.get_by_role("button", name="Start tracking").click()
    expect(page.locator("#status")).to_have_text("Running is on your board, planned.")
    expect(form.get_by_role("alert")).to_have_count(0)
    expect(form.get_by_label(UNIT)).to_be_hidden()  # the form is new again, for a TV show
    mine = page.locator(".own-titles .title")
    expect(mine).to_have_count(1)
    expect(mine.first.locator(".meta")).to_have_text("Counted in km")
    [running] = call_api(server, "GET", f"/api/progress/{user_id}/titles", token)["items"]
    assert (running["kind"], running["unit"]) == ("custom", "km")

    # On the board: an amount of km, decimals allowed; the catalog's show keeps its +1 alone.
    open_view(page, "Board", "Your board")
    card = tracker_card(page, "Running")
    expect(card.locator(".kind")).to_have_text("Counted in km")
    expect(card.get_by_role("button", name=re.compile(r"^\+1"))).to_have_count(0)
    amount = card.get_by_label("Add km to Running")
    expect(amount).to_have_attribute("step", "0.01")
    expect(amount).to_have_attribute("min", "0")
    catalog_card = tracker_card(page, "Breaking Bad")
    expect(catalog_card.get_by_role("button", name="+1 episode of Breaking Bad")).to_be_visible()
    expect(catalog_card.get_by_role("spinbutton")).to_have_count(0)
    expect(catalog_card.locator("input[step]")).to_have_count(0)

    amount.fill("5.25")
    card.get_by_role("button", name="Log 5.25 km of Running").click()
    expect(column(page, "In progress").locator(".tracker").filter(has_text="Running")).to_contain_text("5.25 km")
    card.get_by_label("Add km to Running").fill("2.5")
    card.get_by_label("Add km to Running").press("Enter")  # the keyboard alone logs too
    expect(card.locator(".progress-text")).to_have_text("7.75 km")
    expect(card.get_by_label("Add km to Running")).to_have_value("")
    tracker = call_api(server, "GET", f"/api/progress/{user_id}/trackers/{running['id']}", token)
    assert (tracker["progress"], tracker["status"]) == (7.75, "in_progress")
    logged = history_of(server, token, user_id, running["id"])
    assert logged[:2] == ["Logged 2.5 km (7.75 km so far)", "Logged 5.25 km (5.25 km so far)"]

    # Three decimal places: the API's sentence beside the field, the amount kept to fix, nothing logged.
    card.get_by_label("Add km to Running").fill("1.255")
    card.get_by_role("button", name="Log 1.255 km of Running").click()
    expect(card.get_by_role("alert")).to_have_text("A number of units has at most 2 decimal places (5.25).")
    expect(card.get_by_label("Add km to Running")).to_have_value("1.255")
    expect(card.locator(".progress-text")).to_have_text("7.75 km")
    expect(notice(page)).to_be_hidden()
    assert history_of(server, token, user_id, running["id"]) == logged
    assert call_api(server, "GET", f"/api/progress/{user_id}/trackers/{running['id']}", token)["progress"] == 7.75
    page.screenshot(path=ARTIFACTS / "custom-board.png", full_page=True)
    card.get_by_label("Add km to Running").fill("")
    card.get_by_role("button", name="Log km of Running").click()  # nothing to add: nothing is sent
    expect(card.get_by_role("alert")).to_have_text("Give how many km to add, such as 5.25.")
    assert history_of(server, token, user_id, running["id"]) == logged

    # Its page says what it is counted in, and how far it was at a time, in km.
    card.get_by_role("link", name="Running").click()
    expect(page.get_by_role("heading", name="Running", level=1)).to_be_visible()
    expect(page.locator(".title-view > .meta")).to_have_text("Counted in km")
    section = page.get_by_role("region", name="Your tracker in the past")
    newest = call_api(server, "GET", f"/api/progress/{user_id}/history?title_id={running['id']}&limit=1", token)
    then = datetime.fromisoformat(newest["items"][0]["event"]["occurred_at"]).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(max(0.0, (then - datetime.now(timezone.utc)).total_seconds()) + 0.1)  # a time that has passed
    section.get_by_label("See it as it was on…").fill(local_input(then))
    section.get_by_role("button", name="Show").click()
    expect(section.locator(".then-state dl > div").nth(1)).to_have_text("Progress7.75 km")

    # Its own timeline says it in km, and a correction takes decimals too.
    open_view(page, "Board", "Your board")
    card.get_by_role("link", name="Timeline").click()
    expect(page.get_by_role("heading", name="Timeline of Running")).to_be_visible()
    expect(page.locator(".now-state")).to_have_text("Now: 7.75 km · In progress · not rated")
    expect(page.locator(".pass-list li")).to_have_text(re.compile(r"^Pass 1 · since .+ · 7\.75 km$"))
    entry(page, "Logged 2.5 km (7.75 km so far)").get_by_role("button", name=re.compile("^Correct")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Change")).to_contain_text("Set progress to (km done)")
    expect(dialog.get_by_label("Number of km")).to_have_attribute("step", "0.01")
    dialog.get_by_label("Number of km").fill("2.75")
    confirm(page, "Correct entry")
    expect(page.locator(".now-state")).to_have_text("Now: 8 km · In progress · not rated")

    # Its owner changes its unit and total: the board then counts 8 of 42 kilometres, with a bar.
    open_view(page, "Your titles", "Your own titles")
    page.get_by_role("button", name="Edit Running").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Kind").locator("option")).to_have_text(["Something of my own"])  # custom stays custom
    expect(dialog.get_by_label(UNIT)).to_have_value("km")
    dialog.get_by_label(UNIT).fill("kilometres")
    dialog.get_by_label("Total units").fill("42")
    confirm(page, "Save title")
    expect(notice(page)).to_have_text("Saved Running.")
    expect(page.locator(".own-titles .title .meta")).to_have_text("Counted in kilometres · 42 kilometres")
    open_view(page, "Board", "Your board")
    card = tracker_card(page, "Running")
    expect(card.locator(".progress-text")).to_have_text("8 / 42 kilometres")
    expect(card.get_by_role("progressbar")).to_have_attribute("value", "8")
    expect(card.get_by_role("progressbar")).to_have_attribute("max", "42")
    card.get_by_label("Add kilometres to Running").fill("0.5")
    card.get_by_role("button", name="Log 0.5 kilometres of Running").click()
    expect(card.locator(".progress-text")).to_have_text("8.5 / 42 kilometres")
    expect(card.get_by_role("progressbar")).to_have_attribute("value", "8.5")

    # The summary counts the owner's unit in their word, beside the catalog's.
    open_view(page, "Summary", "Summary")
    own = page.locator(".tile[data-unit='kilometres']")
    expect(own).to_have_text("8.5kilometres")
    expect(page.locator(".tile[data-unit='episode']")).to_have_text("2episodes watched")
    expect(page.locator(".by-kind tr[data-kind='custom']")).to_have_text(re.compile(r"Custom\s*0\s*1\s*0\s*0\s*0"))
    own.get_by_role("button").click()  # what makes the kilometres: Running, and its entries in words
    dialog = page.get_by_role("dialog", name="8.5 kilometres")
    expect(dialog.locator(".part p")).to_have_text(["Running — 8.5 kilometres, from"])
    expect(dialog.locator(".because li").last).to_contain_text("Logged 0.5 kilometres (8.5 kilometres so far)")
    page.keyboard.press("Escape")

    # A goal in the owner's unit: the unit is offered among the catalog's, the amount said in it.
    open_view(page, "Goals", "Goals")
    form = page.get_by_role("form", name="New goal")
    form.get_by_label("Count").select_option("units")
    form.get_by_label("Of kind").select_option("")
    form.locator("select[name=unit]").select_option("kilometres")
    form.get_by_label("Target").fill("20")
    form.get_by_label("Each").select_option("year")
    form.get_by_label("Starts on").fill(f"{datetime.now(timezone.utc).year}-01-01")
    form.get_by_role("button", name="Add goal").click()
    expect(notice(page)).to_have_text("Added the goal “20 kilometres a year”.")
    expect(page.locator(".goal .goal-amount")).to_have_text(re.compile(r"^8\.5 of 20 kilometres · "))


def test_a_custom_tracker_is_made_and_logged_on_a_phone(open_page, server):
    page = open_page(390, 844)
    register(page)
    token = token_of(page)
    user_id = call_api(server, "GET", "/api/users/me", token)["id"]
    open_view(page, "Your titles", "Your own titles")
    new_custom_tracker(page, "Water", "glass")
    expect(page.locator(".own-titles .title .meta")).to_have_text("Counted in glass")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"Your own titles is {width} px wide on a 390 px screen"

    open_view(page, "Board", "Your board")
    card = tracker_card(page, "Water")
    amount = card.get_by_label("Add glass to Water")
    amount.fill("1.5")
    card.get_by_role("button", name="Log 1.5 glass of Water").click()
    expect(card.locator(".progress-text")).to_have_text("1.5 glass")  # the owner's word, as given: no "glasss"
    amount = card.get_by_label("Add glass to Water")
    amount.fill("0.333")
    amount.press("Enter")
    expect(card.get_by_role("alert")).to_have_text("A number of units has at most 2 decimal places (5.25).")
    for control in (card.get_by_label("Add glass to Water"), card.get_by_role("button", name="Log 0.333 glass of Water"),
                    card.get_by_role("alert")):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{control} is off the 390 px screen: {box}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the board is {width} px wide on a 390 px screen"
    page.screenshot(path=ARTIFACTS / "custom-phone.png", full_page=True)
    [water] = call_api(server, "GET", f"/api/progress/{user_id}/titles", token)["items"]
    assert call_api(server, "GET", f"/api/progress/{user_id}/trackers/{water['id']}", token)["progress"] == 1.5


def test_the_board_shows_upcoming_and_up_next_and_the_calendar_opens_its_days_and_gives_the_feed(open_page, server):
    admin = call_api(server, "POST", "/api/auth/login", body={"username": ADMIN, "password": ADMIN_PASSWORD})
    today = datetime.now(timezone.utc).date()
    tomorrow = today + timedelta(days=1)
    coming, out = f"Coming Soon {uuid.uuid4().hex[:6]}", f"Out Already {uuid.uuid4().hex[:6]}"
    coming_id = call_api(server, "POST", "/api/titles", admin["access_token"], {
        "kind": "tv_show", "name": coming, "total_units": 10, "release_date": tomorrow.isoformat()})["id"]
    out_id = call_api(server, "POST", "/api/titles", admin["access_token"], {
        "kind": "tv_show", "name": out, "total_units": 62, "release_date": "2026-03-14"})["id"]
    page = open_page()
    register(page)
    token = token_of(page)
    call_api(server, "POST", "/api/progress/log", token, {"title_id": coming_id, "status": "planned"})
    call_api(server, "POST", "/api/progress/log", token, {"title_id": out_id, "progress": 13})
    open_view(page, "Board", "Your board")

    upcoming = page.get_by_role("region", name="Upcoming")
    expect(upcoming).to_contain_text(f"{coming} — comes out on {tracker_date(tomorrow)}")
    expect(upcoming).not_to_contain_text(out)
    up_next = page.get_by_role("region", name="Up next")
    expect(up_next).to_contain_text(f"{out} — next: episode 14 of 62")
    expect(up_next).not_to_contain_text(coming)
    tracker_card(page, coming).get_by_role("button", name=f"+1 episode of {coming}").click()
    expect(notice(page)).to_contain_text(f"This title comes out on {tracker_date(tomorrow)}")
    tracker_card(page, out).get_by_role("button", name=f"+1 episode of {out}").click()
    expect(up_next).to_contain_text(f"{out} — next: episode 15 of 62")

    open_view(page, "Calendar", f"Calendar: {today:%B %Y}")
    page.locator(f'.month-day[data-date="{today.isoformat()}"]').click()
    day = page.get_by_role("dialog")
    expect(day).to_contain_text(f"{out}: Watched episode 13 of 62")
    expect(day).to_contain_text(f"{out}: Watched episode 14 of 62")
    day.get_by_role("button", name="Close").click()
    page.goto(f"{server}/#/calendar?month={tomorrow:%Y-%m}")
    expect(page.get_by_role("heading", name=f"Calendar: {tomorrow:%B %Y}", level=1)).to_be_visible()
    page.locator(f'.month-day[data-date="{tomorrow.isoformat()}"]').click()
    expect(day.locator(".day-releases")).to_contain_text(f"Comes out{coming}")
    day.get_by_role("button", name="Close").click()

    page.get_by_role("button", name="Copy the feed address").click()
    address = page.get_by_label("Calendar feed address")
    expect(address).to_have_value(re.compile(r"^http://.+/api/calendar/.+\.ics$"))
    url = address.input_value()
    with urllib.request.urlopen(url, timeout=10) as feed:
        text = feed.read().decode()
    assert f"SUMMARY:{coming} comes out" in text.replace("\r\n ", "")
    page.get_by_role("button", name="Make a new address…").click()
    confirm(page, "Make a new address")
    expect(address).not_to_have_value(url)
    with pytest.raises(urllib.error.HTTPError) as ended:
        urllib.request.urlopen(url, timeout=10)
    ended.value.close()
    assert ended.value.code == 404

    expect(page.locator(".month-view .hint")).to_contain_text("Days run by UTC (your timezone in Mail settings)")
    call_api(server, "PUT", "/api/users/me/notifications", token, {"timezone": "America/New_York"})
    page.goto(f"{server}/#/calendar?month=2026-03")
    expect(page.locator(".month-view .hint")).to_contain_text("Days run by the time in America/New_York")


def tracker_date(day) -> str:
    return f"{day.day} {day:%b %Y}"


def goal_card(page, name: str):
    return page.locator(".goal").filter(has=page.get_by_role("heading", name=name, exact=True))


def test_goals_are_set_shown_on_track_or_behind_in_words_changed_and_deleted(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    book = call_api(server, "GET", "/api/titles?kind=book&limit=1")["items"][0]
    call_api(server, "POST", "/api/progress/log", token, {"title_id": book["id"], "progress": book["total_units"]})
    today = datetime.now(timezone.utc).date()
    open_view(page, "Goals", "Goals")
    expect(page.get_by_text("No goals yet.")).to_be_visible()
    form = page.get_by_role("form", name="New goal")
    form.get_by_label("Count").select_option("completions")
    form.get_by_label("Of kind").select_option("book")
    form.get_by_label("Target").fill("4")
    form.get_by_label("Each").select_option("once")
    # 20 days, today the 10th: half of it is due by tonight.
    form.get_by_label("Starts on").fill((today - timedelta(days=9)).isoformat())
    form.get_by_label("Ends on").fill((today + timedelta(days=10)).isoformat())
    form.get_by_role("button", name="Add goal").click()
    expect(notice(page)).to_have_text("Added the goal “4 books in all”.")
    card = goal_card(page, "4 books in all")
    expect(card.locator(".goal-amount")).to_have_text("1 of 4 books · behind")
    expect(card).to_have_class(re.compile(r"\bbehind\b"))
    expect(card.locator(".goal-period")).to_contain_text("25% done; 2 books due by today")

    card.get_by_role("button", name="Change").click()
    page.get_by_role("dialog").get_by_label("Target").fill("2")
    confirm(page, "Save goal")
    expect(notice(page)).to_have_text("Saved “2 books in all”: 1 of 2 books.")
    card = goal_card(page, "2 books in all")
    expect(card.locator(".goal-amount")).to_have_text("1 of 2 books · on track")
    expect(card).to_have_class(re.compile(r"\bon-track\b"))
    page.screenshot(path=ARTIFACTS / "goals.png", full_page=True)

    # A goal that would end before it starts: the API's sentence, naming the field.
    form = page.get_by_role("form", name="New goal")
    form.get_by_label("Each").select_option("once")
    form.get_by_label("Starts on").fill("2027-02-01")
    form.get_by_label("Ends on").fill("2027-01-31")
    form.get_by_role("button", name="Add goal").click()
    expect(notice(page)).to_contain_text("The goal would end (31 Jan 2027) before it starts (1 Feb 2027)")
    expect(notice(page).locator("li")).to_have_count(0)  # the field's message is the sentence itself
    expect(page.locator(".goal")).to_have_count(1)

    card.get_by_role("button", name="Delete").click()
    confirm(page, "Cancel")
    expect(goal_card(page, "2 books in all")).to_be_visible()
    card.get_by_role("button", name="Delete").click()
    confirm(page, "Delete goal")
    expect(notice(page)).to_have_text("Deleted the goal “2 books in all”.")
    expect(page.get_by_text("No goals yet.")).to_be_visible()


def test_the_year_in_review_draws_the_months_and_names_the_best_rated(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    book = call_api(server, "GET", "/api/titles?kind=book&limit=1")["items"][0]
    last_year = datetime.now(timezone.utc).year - 1
    for change in ({"progress": book["total_units"]}, {"rating": 4.5}):
        call_api(server, "POST", "/api/progress/log", token,
                 {"title_id": book["id"], **change, "occurred_at": f"{last_year}-03-05T20:00:00+00:00"})
    call_api(server, "POST", f"/api/progress/{call_api(server, 'GET', '/api/users/me', token)['id']}/goals", token,
             {"measure": "completions", "target": 1, "period": "month", "starts_on": f"{last_year}-01-01",
              "ends_on": f"{last_year}-12-31"})
    open_view(page, "Year in review", "Year in review")
    expect(page.locator(".lead")).to_have_text(re.compile(r"^\d{4}: 0 titles finished, 0 entries\. No entries that year\."))
    page.get_by_label("Year", exact=True).select_option(str(last_year))
    expect(page.locator(".lead")).to_have_text(
        f"{last_year}: 1 title finished, 2 entries. Your longest streak: 1 day, 5 Mar {last_year}.")
    bars = page.locator(".month-chart rect.bar")
    expect(bars).to_have_count(12)
    assert [bar.get_attribute("data-count") for bar in bars.all()] == ["0", "0", "1"] + ["0"] * 9
    expect(page.locator(".tile[data-status='completed']")).to_have_text("1Completed")
    expect(page.locator(".tile[data-unit='page']")).to_have_text(f"{book['total_units']}pages")
    expect(page.locator(".top-rated li")).to_have_text(f"{book['name']} — 4.5 / 5")
    expect(page.locator(".review-goals li")).to_have_text("1 title finished a month: met in 1 of 12 periods")
    page.screenshot(path=ARTIFACTS / "review.png", full_page=True)


def test_the_mail_page_sets_reminders_and_digests_and_says_what_is_wrong(open_page):
    page = open_page()
    register(page)
    open_view(page, "Mail", "Mail")
    form = page.get_by_role("form", name="Mail settings")
    expect(form.get_by_label("Timezone")).to_have_value("UTC")
    expect(form.get_by_label("Daily reminder")).not_to_be_checked()
    expect(form.get_by_label("Weekly digest")).not_to_be_checked()
    expect(form).to_contain_text('On the day a title you plan comes out, a mail that says "Out now", once for each '
                                 'title.')
    expect(page.get_by_role("region", name="Mails sent")).to_contain_text("No mail has been sent to you yet.")

    form.get_by_label("Weekly digest").check()
    form.get_by_role("button", name="Save mail settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Mail needs an address")

    form.get_by_label("Email").fill("reader@example.org")
    form.get_by_label("Timezone").select_option("Europe/Paris")
    form.get_by_label("Daily reminder").check()
    form.get_by_label("Reminder time").fill("21:30")
    form.get_by_role("button", name="Save mail settings").click()
    expect(notice(page)).to_have_text(
        "Saved: a daily reminder at 21:30, a weekly digest, to reader@example.org (Europe/Paris).")

    page.reload()
    form = page.get_by_role("form", name="Mail settings")
    expect(form.get_by_label("Email")).to_have_value("reader@example.org")
    expect(form.get_by_label("Timezone")).to_have_value("Europe/Paris")
    expect(form.get_by_label("Reminder time")).to_have_value("21:30")
    expect(form.get_by_label("Daily reminder")).to_be_checked()
    expect(form.get_by_label("Weekly digest")).to_be_checked()
    expect(form.get_by_label("Monthly digest")).not_to_be_checked()
    form.get_by_label("Weekly digest").uncheck()
    form.get_by_label("Daily reminder").uncheck()
    form.get_by_role("button", name="Save mail settings").click()
    expect(notice(page)).to_have_text("Saved: you get no mail.")


def mails_sent(page):
    """The Mail page's list of mails sent, once the first one shows (the page opened again until it does)."""
    sent = page.get_by_role("region", name="Mails sent")
    deadline = time.monotonic() + 100  # serve's mail worker looks for due mail each minute
    while "No mail has been sent" in sent.inner_text() and time.monotonic() < deadline:
        time.sleep(3)
        open_view(page, "Mail", "Mail")
    return sent


def test_the_mail_page_lists_the_reminder_the_service_sent(open_page):
    page = open_page()
    register(page)
    open_view(page, "Mail", "Mail")
    form = page.get_by_role("form", name="Mail settings")
    form.get_by_label("Email").fill("early@example.org")
    form.get_by_label("Daily reminder").check()
    form.get_by_label("Reminder time").fill("00:00")  # due at once: nothing is logged today
    form.get_by_role("button", name="Save mail settings").click()
    expect(notice(page)).to_have_text("Saved: a daily reminder at 00:00, to early@example.org (UTC).")
    expect(mails_sent(page)).to_contain_text(re.compile(
        rf"Nothing logged today \(\d{{1,2}} [A-Z][a-z]{{2}} \d{{4}}\) — Daily reminder for \d{{1,2}} [A-Z][a-z]{{2}} \d{{4}}, "
        rf"sent {MOMENT}"))


def test_the_mail_page_lists_the_release_mail_that_says_a_planned_title_is_out_now(open_page, server):
    admin = call_api(server, "POST", "/api/auth/login", body={"username": ADMIN, "password": ADMIN_PASSWORD})
    today = datetime.now(timezone.utc).date()
    name = f"Out Today {uuid.uuid4().hex[:6]}"
    title_id = call_api(server, "POST", "/api/titles", admin["access_token"], {
        "kind": "tv_show", "name": name, "total_units": 8, "release_date": today.isoformat()})["id"]
    page = open_page()
    register(page)
    call_api(server, "POST", "/api/progress/log", token_of(page), {"title_id": title_id, "status": "planned"})
    open_view(page, "Mail", "Mail")
    form = page.get_by_role("form", name="Mail settings")
    form.get_by_label("Email").fill("planner@example.org")
    form.get_by_label("Releases").check()
    form.get_by_role("button", name="Save mail settings").click()
    expect(notice(page)).to_have_text("Saved: releases, to planner@example.org (UTC).")
    expect(mails_sent(page)).to_contain_text(re.compile(
        rf"Out now: {name} — Release mail for {today.day} {today:%b %Y}, sent {MOMENT}"))


# Dune (in the catalog) read and rated 4, a book the catalog lacks on the to-read shelf, and a row
# whose Date Read is no date.
GOODREADS_FILE = (ROOT / "tests" / "samples" / "imports" / "goodreads-dune.csv").read_bytes()


def import_card(page):
    return page.locator(".import-list .import")


def test_a_goodreads_file_is_previewed_imported_listed_and_its_import_undone(open_page, server):
    page = open_page()
    register(page)
    token = token_of(page)
    show = a_title(server, "Breaking Bad", "tv_show")
    call_api(server, "POST", "/api/progress/log", token, {"title_id": show["id"], "progress": 3})  # by hand

    open_view(page, "Import", "Import")
    expect(page.get_by_text("You have imported nothing yet.")).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "goodreads_library_export.csv", "mimeType": "text/csv", "buffer": GOODREADS_FILE})
    page.get_by_label("Format").select_option(label="Goodreads library export (CSV)")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".import-preview")
    expect(preview.locator(".import-summary")).to_have_text("3 rows read: this would log 4 entries.")
    expect(preview.locator(".import-matched")).to_have_text("Titles found in the catalog or among yours (1): Dune.")
    expect(preview.locator(".import-created")).to_have_text("New titles of your own (1): The Lantern Keeper.")
    expect(preview.locator(".import-skipped li")).to_have_text(
        ["Row 3: The Date Read '2021/13/40' is not a date like 2019/05/01."])
    assert sorted(preview.locator(".undo-changes li").all_inner_texts()) == [
        "Dune: no tracker → page 412 of 412, completed, ★4; finished on Sunday, March 14, 2021",
        "The Lantern Keeper: no tracker → planned"]
    # The preview appended nothing: the trackers are only what was logged by hand.
    user_id = call_api(server, "GET", "/api/users/me", token)["id"]
    board = call_api(server, "GET", f"/api/progress/{user_id}/trackers", token)
    assert [t["title"]["name"] for status in ("planned", "in_progress", "completed") for t in board[status]] == [
        "Breaking Bad"]
    expect(page.get_by_text("You have imported nothing yet.")).to_be_visible()

    preview.get_by_role("button", name="Import", exact=True).click()
    expect(notice(page).locator("p").first).to_have_text("Imported your Goodreads library export: 4 entries logged.")
    expect(import_card(page)).to_have_count(1)
    card = import_card(page)
    expect(card.locator("h3")).to_have_text(re.compile(rf"^{MOMENT} · Goodreads library export$"))
    expect(card).to_contain_text("4 entries from 3 rows, 1 row skipped")
    expect(card).to_contain_text("Titles: Dune, The Lantern Keeper")
    page.screenshot(path=ARTIFACTS / "import.png", full_page=True)

    # The same file again holds nothing new.
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "goodreads_library_export.csv", "mimeType": "text/csv", "buffer": GOODREADS_FILE})
    page.get_by_role("button", name="Preview").click()
    expect(preview.locator(".import-summary")).to_have_text("3 rows read: this would log 0 entries.")
    expect(preview).to_contain_text("There is nothing new in this file to import.")
    expect(preview.get_by_role("button", name="Import", exact=True)).to_have_count(0)

    open_view(page, "Board", "Your board")
    expect(column(page, "Completed").locator(".tracker")).to_contain_text("Dune")
    expect(column(page, "Planned").locator(".tracker")).to_contain_text("The Lantern Keeper")

    # Undo: first what it takes back, then only the import's entries go; Breaking Bad stays.
    open_view(page, "Import", "Import")
    import_card(page).get_by_role("button", name=re.compile(rf"^Undo the import of {MOMENT}$")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#confirm-title")).to_have_text(re.compile(rf"^Undo the import of {MOMENT}\?$"))
    expect(dialog.locator("#confirm-text")).to_have_text(
        "This takes back the 4 entries it made, and nothing you logged yourself:")
    assert sorted(dialog.locator(".undo-changes li").all_inner_texts()) == [
        "Dune: page 412 of 412, completed, ★4 → removed", "The Lantern Keeper: planned → removed"]
    confirm(page, "Undo the import")
    expect(notice(page).locator("p").first).to_have_text(re.compile(rf"^Undid 4 entries: the import of {MOMENT}\.$"))
    expect(notice(page).locator(".undo-changes li")).to_have_count(2)
    expect(notice(page).get_by_role("button", name="Undo this undo")).to_be_focused()
    expect(import_card(page)).to_contain_text(re.compile(rf"Undone {MOMENT}"))
    expect(import_card(page).get_by_role("button", name=re.compile("^Undo"))).to_have_count(0)

    open_view(page, "Board", "Your board")
    expect(tracker_card(page, "Breaking Bad")).to_contain_text("3 / 62 episodes")
    expect(tracker_card(page, "Dune")).to_have_count(0)
    expect(tracker_card(page, "The Lantern Keeper")).to_have_count(0)


def test_a_file_in_another_format_than_named_or_too_large_is_refused_in_the_apis_words_on_a_phone(open_page):
    page = open_page(390, 844)
    register(page)
    open_view(page, "Import", "Import")
    trakt = (ROOT / "tests" / "samples" / "imports" / "trakt.json").read_bytes()
    page.get_by_label("File", exact=True).set_input_files({"name": "history.json", "mimeType": "application/json", "buffer": trakt})
    page.get_by_label("Format").select_option(label="Goodreads library export (CSV)")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_have_text("This file is JSON, not a Goodreads library export (CSV).")
    expect(page.locator(".import-preview")).to_be_empty()
    expect(page.get_by_role("button", name="Import", exact=True)).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the import page is {width} px wide on a 390 px screen"

    # A file past the import's limit of 20 MiB: the service says the limit before reading it.
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "history.json", "mimeType": "application/json", "buffer": b"[" + b" " * (21 * 1024 * 1024) + b"]"})
    page.get_by_label("Format").select_option(label="Spotify streaming history (JSON)")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The request body is larger than 20,971,520 bytes, the most this service accepts.")
    expect(page.get_by_text("You have imported nothing yet.")).to_be_visible()
