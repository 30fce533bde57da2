"""`python -m progress_service menu` driven through a pseudo-terminal, as a person would, against a real
`serve` process on loopback with a fresh database and an admin made by `create-admin`."""
from __future__ import annotations

import csv
import io
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pexpect
import pytest

from tests.e2e.serving import ADMIN, ADMIN_PASSWORD, ROOT
from tests.helpers import free_port, get, post

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
MOMENT = r"\d{1,2} [A-Z][a-z]{2}, \d\d:\d\d"  # how the menu names a moment: "14 Nov, 20:00"


class Menu:
    """One `menu` process on a pseudo-terminal: read what it shows, type what a person would."""

    def __init__(self, url: str):
        self.child = pexpect.spawn(sys.executable, ["-m", "progress_service", "menu", "--url", url], cwd=str(ROOT),
                                   encoding="utf-8", timeout=10, dimensions=(50, 200))
        # We only type after the prompt shows, and getpass turns echo off before it shows its prompt.
        self.child.delaybeforesend = None
        self.output = io.StringIO()
        self.child.logfile_read = self.output

    def see(self, text: str) -> str:
        """Wait for ``text``; return what was shown between the last thing seen and it."""
        self.child.expect_exact(text)
        return self.child.before

    def answer(self, prompt: str, text: str) -> None:
        self.see(prompt)
        self.child.sendline(text)

    def see_pattern(self, pattern: str) -> re.Match:
        """Wait for what matches the regular expression ``pattern``; its match."""
        self.child.expect(pattern)
        return self.child.match

    def pick(self, label: str) -> None:
        """Choose the option (or listed item) whose line shows ``label``, by the key printed before it."""
        self.child.expect(r"(\w+)\) [^\r\n]*" + re.escape(label))
        key = self.child.match.group(1)
        self.answer("Choose: ", key)

    def leave(self) -> int:
        """Wait for the process to end; its exit status. A traceback is never acceptable."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert "Traceback" not in self.output.getvalue(), self.output.getvalue()
        return self.child.exitstatus


@pytest.fixture
def open_menu(server):
    opened: list[Menu] = []

    def open_(url: str = server) -> Menu:
        opened.append(Menu(url))
        return opened[-1]

    yield open_
    for menu in opened:
        menu.child.close(force=True)
        assert "Traceback" not in menu.output.getvalue(), menu.output.getvalue()


def sign_up(menu: Menu) -> str:
    """Create an account through the menu; its username (the password is PASSWORD)."""
    username = f"menu_{uuid.uuid4().hex[:10]}"
    menu.pick("Create an account")
    menu.answer("Choose a username", username)
    menu.answer("Choose a password", PASSWORD)
    menu.answer("Type the password again: ", PASSWORD)
    menu.answer("Email (optional", "")
    menu.see(f"Account created. Welcome, {username}.")
    return username


def open_title(menu: Menu, name: str) -> None:
    """From the home screen, find a title by its name in the catalog and open it."""
    menu.pick("Browse and search the catalog")
    menu.answer("Title contains: ", name)
    menu.answer("Genre", "")
    menu.answer("Kind", "")
    menu.pick(f"{name} (")
    menu.see(f"{name}: ")


def title(server: str, name: str) -> dict:
    status, page = get(f"{server}/api/titles?q={name.replace(' ', '+')}")
    assert status == 200
    [found] = [item for item in page["items"] if item["name"] == name]
    return found


def test_an_account_is_created_and_logged_into_with_a_hidden_password(open_menu):
    menu = open_menu()
    username = sign_up(menu)
    menu.see(f"Signed in as {username}.")
    menu.pick("Log out")
    menu.see("Logged out.")
    menu.pick("Log in")
    menu.answer("Username: ", username)
    menu.answer("Password: ", "not the password")
    menu.see("The username or password is wrong.")
    menu.pick("Log in")
    menu.answer("Username: ", username)
    menu.answer("Password: ", PASSWORD)
    menu.see(f"Welcome back, {username}.")
    menu.see(f"Signed in as {username}.")
    menu.pick("Quit")
    menu.see("Goodbye.")
    assert menu.leave() == 0
    assert PASSWORD not in menu.output.getvalue()


def test_a_taken_username_is_refused_in_the_apis_words(open_menu):
    menu = open_menu()
    username = sign_up(menu)
    menu.pick("Log out")
    menu.pick("Create an account")
    menu.answer("Choose a username", username)
    menu.answer("Choose a password", PASSWORD)
    menu.answer("Type the password again: ", PASSWORD)
    menu.answer("Email (optional", "")
    menu.see("That username is already taken.")
    menu.see("You are not signed in.")
    menu.pick("Quit")
    assert menu.leave() == 0


def test_the_catalog_is_searched_by_title_and_filtered_by_genre_and_by_kind(server, open_menu):
    menu = open_menu()
    menu.pick("Browse and search the catalog")
    menu.answer("Title contains: ", "BREAKING")
    menu.answer("Genre", "")
    menu.answer("Kind", "")
    menu.see('1 title matches title contains "BREAKING"; showing 1-1:')
    menu.see("1) Breaking Bad (TV show, 2008, 62 episodes) - drama, crime")

    _, genres = get(server + "/api/genres")
    names = [genre["name"] for genre in genres["items"]]
    _, jazz = get(server + "/api/titles?genre=jazz&limit=10")
    menu.pick("New search")
    menu.answer("Title contains: ", "")
    menu.answer("Genre (? lists them): ", "?")
    menu.see(f"{names.index('jazz') + 1}) jazz")
    menu.answer("Genre (? lists them): ", str(names.index("jazz") + 1))
    menu.answer("Kind", "")
    menu.see(f'{jazz["total"]} titles match genre "jazz"; showing 1-{len(jazz["items"])}:')
    for number, item in enumerate(jazz["items"], 1):
        menu.see(f"{number}) {item['name']} (")

    _, songs = get(server + "/api/titles?kind=song&limit=20")
    assert songs["total"] > 10 and all(item["kind"] == "song" for item in songs["items"])
    menu.pick("New search")
    menu.answer("Title contains: ", "")
    menu.answer("Genre", "")
    menu.see("4) song")
    assert "5)" not in menu.see("Kind (Enter for any): ")  # the catalog holds no custom titles
    menu.child.sendline("4")
    menu.see(f"{songs['total']} titles match kind song; showing 1-10:")
    menu.see(f" 1) {songs['items'][0]['name']} (song, ")
    shown = menu.see("Choose: ")
    assert "TV show" not in shown
    menu.child.sendline("n")
    menu.see(f"{songs['total']} titles match kind song; showing 11-20:")
    menu.see(f" 1) {songs['items'][10]['name']} (song, ")
    menu.pick("Previous page")
    menu.see("showing 1-10:")
    menu.pick("Back")
    menu.see("You are not signed in.")
    menu.pick("Quit")
    assert menu.leave() == 0


def test_a_tracker_is_added_logged_rated_and_noted_and_shown_with_a_progress_bar(server, open_menu):
    assert title(server, "Breaking Bad")["total_units"] == 62
    assert title(server, "Bad Guy")["total_units"] is None
    menu = open_menu()
    sign_up(menu)
    open_title(menu, "Breaking Bad")
    menu.see("not in your trackers.")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.see("Logged: Planned.")
    menu.pick("+1 episode")
    menu.see("Logged: Watched episode 1 of 62.")
    menu.see("Breaking Bad: [..........] 1 / 62 episodes, in progress")
    menu.pick("Set the number of episodes")
    menu.answer("How many episodes done (0 to 62)? ", "12")
    menu.see("Logged: Watched episode 12 of 62.")
    menu.pick("Change status")
    menu.answer("Status (Enter cancels): ", "4")
    menu.see("Logged: Paused.")
    menu.pick("Rate")
    menu.answer("Rating from 0.5 to 5", "4.5")
    menu.see("Logged: Rated 4.5.")
    menu.pick("Add a note")
    menu.answer("Note (Enter cancels): ", "Gets good in season two")
    menu.see("Logged: Noted: Gets good in season two.")
    menu.see("Breaking Bad: [#.........] 12 / 62 episodes, paused, rated 4.5, 1 note")
    menu.pick("Back")
    menu.pick("Back")

    open_title(menu, "Bad Guy")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.pick("+1 play")
    menu.see("Logged: Played it (1 play so far).")
    menu.pick("+1 play")
    menu.see("Logged: Played it (2 plays so far).")
    menu.see("Bad Guy: 2 plays, in progress")
    menu.pick("Back")
    menu.pick("Back")

    menu.pick("My trackers")
    board = menu.see("Type a tracker's number to open it.")
    assert re.search(r"In progress \(1\)\s+1\) Bad Guy\s+2 plays\s+Paused \(1\)\s+2\) Breaking Bad\s+"
                     r"\[#\.\.\.\.\.\.\.\.\.\] 12 / 62 episodes  rated 4\.5", board), board
    menu.answer("Choose: ", "2")
    menu.see("Breaking Bad: [#.........] 12 / 62 episodes, paused")
    menu.answer("Choose: ", "q")
    menu.see("Goodbye.")
    assert menu.leave() == 0


def test_api_errors_are_shown_as_the_apis_sentences(server, open_menu):
    menu = open_menu()
    sign_up(menu)
    open_title(menu, "Breaking Bad")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.pick("Rate")
    menu.answer("Rating from 0.5 to 5", "7")
    menu.see("Some fields are not valid: rating.")
    menu.see("rating: Must be greater than or equal to 0.5 and less than or equal to 5.")
    menu.pick("Rate")
    menu.answer("Rating from 0.5 to 5", "4.3")
    menu.see("rating must be 0.5 to 5 in steps of 0.5; got 4.3.")
    menu.pick("Set the number of episodes")
    menu.answer("How many episodes done", "1000")
    menu.see("Progress cannot pass the title's 62 units; this change would make it 1000.")
    menu.see("Breaking Bad: [..........] 0 / 62 episodes, planned")  # nothing was logged
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_the_timeline_shows_the_apis_sentences_and_retracts_an_entry_and_rolls_a_tracker_back(open_menu):
    menu = open_menu()
    sign_up(menu)
    open_title(menu, "Breaking Bad")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    for progress in (1, 5, 9):
        menu.pick("Set the number of episodes")
        menu.answer("How many episodes done", str(progress))
        menu.see(f"Logged: Watched episode {progress} of 62.")
    menu.pick("Back")
    menu.pick("Back")

    menu.pick("Timeline")
    timeline = menu.see("Type an entry's number")
    assert re.search(r"1\) [\d-]+ [\d:]+  Breaking Bad: Watched episode 9 of 62\s+"
                     r"2\) [\d-]+ [\d:]+  Breaking Bad: Watched episode 5 of 62\s+"
                     r"3\) [\d-]+ [\d:]+  Breaking Bad: Watched episode 1 of 62\s+"
                     r"4\) [\d-]+ [\d:]+  Breaking Bad: Planned\s", timeline), timeline
    menu.answer("Choose: ", "1")
    menu.see_pattern(rf"Breaking Bad: The entry of {MOMENT} — Watched episode 9 of 62")
    menu.pick("Retract this entry")
    menu.see_pattern(rf"Retract the entry of {MOMENT} — Watched episode 9 of 62\? \(y/N\): ")
    menu.child.sendline("y")
    menu.see("Breaking Bad now: [..........] 5 / 62 episodes, in progress")  # episode 9 is gone
    menu.see_pattern(rf"Breaking Bad: Retracted the entry of {MOMENT} — Watched episode 9 of 62")
    menu.see("Breaking Bad: Watched episode 9 of 62 (retracted)")  # marked where it stands

    menu.pick("Watched episode 1 of 62")
    menu.pick("Roll Breaking Bad back to how it was when this happened")
    menu.see_pattern(rf"Roll Breaking Bad back to how it was when the entry of {MOMENT} — "
                     r"Watched episode 1 of 62 happened, by everything known now\? \(y/N\): ")
    menu.child.sendline("y")
    menu.see_pattern(rf"Rolled Breaking Bad back to how it was when the entry of {MOMENT} — Watched episode 1 "
                     r"of 62 happened\. Breaking Bad now: \[\.\.\.\.\.\.\.\.\.\.\] 1 / 62 episodes, in progress")
    menu.see("1) ")
    menu.see_pattern(rf"Breaking Bad: Restored to how it was on {MOMENT}")
    menu.pick("Back")
    menu.pick("My trackers")
    menu.see("Breaking Bad  [..........] 1 / 62 episodes")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_the_timeline_lists_an_entry_logged_late_where_it_happened(server, open_menu):
    menu = open_menu()
    username = sign_up(menu)
    show = title(server, "Breaking Bad")
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    post(f"{server}/api/progress/log", {"title_id": show["id"], "progress": 5}, token)
    weeks_ago = (datetime.now().astimezone() - timedelta(weeks=6)).replace(second=0, microsecond=0)
    post(f"{server}/api/progress/log", {"title_id": show["id"], "progress": 2, "occurred_at": weeks_ago.isoformat()},
         token)

    menu.pick("Timeline")
    timeline = menu.see("Type an entry's number")
    assert "newest first by when it happened" in timeline
    assert re.search(r"1\) [\d-]+ [\d:]+  Breaking Bad: Watched episode 5 of 62\s+"
                     rf"2\) {weeks_ago:%Y-%m-%d %H:%M}  Breaking Bad: Watched episode 2 of 62\s", timeline), timeline
    menu.answer("Choose: ", "2")
    menu.see("Right after it, by everything known now: [..........] 2 / 62 episodes, in progress")
    menu.pick("Back")
    menu.pick("Back")
    menu.pick("My trackers")
    menu.see("Breaking Bad  [..........] 5 / 62 episodes")  # the late entry did not set it back


def test_the_timeline_pages_back_and_forth(open_menu):
    menu = open_menu()
    sign_up(menu)
    open_title(menu, "Bad Guy")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    for plays in range(1, 12):
        menu.pick("+1 play")
        menu.see(f"Logged: Played it ({plays} play")
    menu.pick("Timeline of this title")
    menu.see("1) ")
    menu.see("Played it (11 plays so far)")
    menu.pick("Older entries")
    menu.see(" 1) ")
    menu.see("Played it (1 play so far)")
    menu.see(" 2) ")
    menu.see("Bad Guy: Planned")
    menu.pick("Newer entries")
    menu.see("Played it (11 plays so far)")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_a_titles_report(server, open_menu):
    hey_jude = title(server, "Hey Jude")
    menu = open_menu()
    sign_up(menu)
    open_title(menu, "Hey Jude")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.pick("+1 play")
    menu.pick("Rate")
    menu.answer("Rating from 0.5 to 5", "4")
    menu.see("Logged: Rated 4.")
    menu.pick("Report")
    menu.see("Report on Hey Jude")
    menu.see("Trackers: 1 (planned 0, in progress 1, completed 0, paused 0, dropped 0)")
    menu.see("Completed by 0% of them")
    menu.see("Average rating: 4 from 1 rating")
    menu.see("4: * 1")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0
    _, report = get(f"{server}/api/titles/{hey_jude['id']}/report")
    assert (report["trackers"], report["average_rating"]) == (1, 4.0)


def test_the_history_is_exported_to_a_file_as_csv_and_as_json(open_menu, tmp_path):
    menu = open_menu()
    sign_up(menu)
    open_title(menu, "Bad Guy")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.pick("+1 play")
    menu.see("Logged: Played it (1 play so far).")
    menu.pick("Back")
    menu.pick("Back")

    menu.pick("Export my history to a file")
    menu.answer("Format, csv or json (Enter for csv): ", "")
    menu.answer("Save to", str(tmp_path / "history.csv"))
    menu.see(f"Saved 2 entries to {tmp_path / 'history.csv'}.")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "history.csv").read_text(), newline="")))
    assert [(row["title"], row["type"], row["summary"], row["status"], row["progress"]) for row in rows] == [
        ("Bad Guy", "tracker_added", "Planned", "planned", "0"),
        ("Bad Guy", "progress_logged", "Played it (1 play so far)", "in_progress", "1")]

    menu.pick("Export my history to a file")
    menu.answer("Format, csv or json (Enter for csv): ", "json")
    menu.answer("Save to", str(tmp_path / "history.json"))
    menu.see(f"Saved 2 entries to {tmp_path / 'history.json'}.")
    entries = json.loads((tmp_path / "history.json").read_text())
    assert [(entry["title"]["name"], entry["summary"], entry["state"]["progress"]) for entry in entries] == [
        ("Bad Guy", "Planned", 0), ("Bad Guy", "Played it (1 play so far)", 1)]

    menu.pick("Export my history to a file")
    menu.answer("Format, csv or json (Enter for csv): ", "json")
    menu.answer("Save to", str(tmp_path / "history.json"))
    menu.answer("exists. Replace it? (y/N): ", "n")
    menu.see("Signed in as")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_the_admin_submenu_adds_edits_and_removes_a_title(server, open_menu):
    name = f"The Menu Book {uuid.uuid4().hex[:6]}"
    menu = open_menu()
    menu.pick("Log in")
    menu.answer("Username: ", ADMIN)
    menu.answer("Password: ", ADMIN_PASSWORD)
    menu.see(f"Signed in as {ADMIN} (admin).")
    menu.pick("Admin: add, edit or remove titles")

    menu.pick("Add a title")
    menu.answer("Kind: ", "2")
    menu.answer("Name (Enter cancels): ", name)
    menu.answer("Creator: ", "Ann Author")
    menu.answer("Genres, separated by commas: ", "Mystery, drama")
    menu.answer("Year: ", "2024")
    menu.answer("Number of pages (Enter if unknown or endless): ", "321")
    menu.answer("Description: ", "A book about menus.")
    menu.see(f"{name} (book, 2024, 321 pages) - mystery, drama.")
    added = title(server, name)
    assert (added["creator"], added["year"], added["total_units"]) == ("Ann Author", 2024, 321)

    menu.pick("Edit a title")
    menu.answer("Title (its id, or part of its name; Enter cancels): ", name)
    menu.see(f"Editing [{added['id']}] {name}")
    for prompt, typed in (("Name", ""), ("Creator", "Bo Author"), ("Genres", ""), ("Year", "3000"),
                          ("Number of pages", ""), ("Description", "")):
        menu.answer(prompt, typed)
    menu.see("Some fields are not valid: year.")
    menu.see("year: A year is between -3000 and 2100 (negative for BC).")
    menu.pick("Edit a title")
    menu.answer("Title (its id", str(added["id"]))
    for prompt, typed in (("Name", ""), ("Creator", "Bo Author"), ("Genres", "-"), ("Year", "2025"),
                          ("Number of pages", "-"), ("Description", "")):
        menu.answer(prompt, typed)
    menu.see(f"Saved title {added['id']}: {name} (book, 2025, counted in pages).")
    edited = title(server, name)
    assert (edited["creator"], edited["genres"], edited["year"], edited["total_units"]) == ("Bo Author", [], 2025, None)

    menu.pick("Remove a title")
    menu.answer("Title (its id", str(added["id"]))
    menu.answer(f"Remove [{added['id']}] {name} from the catalog? (y/N): ", "y")
    menu.see(f"Removed {name} from the catalog.")
    assert get(f"{server}/api/titles/{added['id']}")[0] == 404

    menu.pick("Back")
    tracked = title(server, "Dancing Queen")
    open_title(menu, "Dancing Queen")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.see("Logged: Planned.")
    menu.pick("Back")
    menu.pick("Back")
    menu.pick("Admin: add, edit or remove titles")
    menu.pick("Remove a title")
    menu.answer("Title (its id", str(tracked["id"]))
    menu.answer("from the catalog? (y/N): ", "y")
    menu.see(f"Title {tracked['id']} cannot be deleted: 1 user tracks it.")  # the API's sentence
    menu.pick("Back")
    menu.see(f"Signed in as {ADMIN} (admin).")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_the_account_changes_its_email_and_password_which_signs_out_elsewhere_and_is_erased(open_menu):
    menu = open_menu()
    username = sign_up(menu)
    elsewhere = open_menu()  # the same account in a second terminal
    elsewhere.pick("Log in")
    elsewhere.answer("Username: ", username)
    elsewhere.answer("Password: ", PASSWORD)
    elsewhere.see(f"Signed in as {username}.")

    menu.pick("My account")
    menu.see(f"{username}, here since ")
    menu.pick("Change the email")
    menu.answer("New email (Enter for none): ", "menu@example.org")
    menu.see("Your email is now menu@example.org.")
    menu.pick("My account")
    menu.see("email: menu@example.org.")
    menu.pick("Change the password")
    menu.answer("New password (8 characters or more): ", "a new menu secret")
    menu.answer("Type it again: ", "something else")
    menu.see("The two passwords differ; nothing was changed.")
    menu.pick("My account")
    menu.pick("Change the password")
    menu.answer("New password (8 characters or more): ", "a new menu secret")
    menu.answer("Type it again: ", "a new menu secret")
    menu.see("Your password is changed. You are logged out everywhere else.")
    menu.pick("My trackers")  # this terminal goes on with a new token
    menu.see("You track no titles yet")

    elsewhere.pick("My trackers")  # the other one's token ended with the old password
    elsewhere.see("The account's password has changed since this token was issued; log in again.")
    elsewhere.see("You are not signed in.")
    elsewhere.answer("Choose: ", "q")
    assert elsewhere.leave() == 0

    menu.pick("My account")
    menu.pick("Erase the account")
    menu.answer("Erase it? (y/N): ", "y")
    menu.answer("to be sure: ", "not my name")
    menu.see("Nothing was erased.")
    menu.pick("My account")
    menu.pick("Erase the account")
    menu.answer("Erase it? (y/N): ", "y")
    menu.answer("to be sure: ", username)
    menu.see("Your account and its history were erased.")
    menu.see("You are not signed in.")
    menu.pick("Log in")
    menu.answer("Username: ", username)
    menu.answer("Password: ", "a new menu secret")
    menu.see("The username or password is wrong.")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_a_user_who_is_not_an_admin_gets_no_admin_submenu(open_menu):
    menu = open_menu()
    sign_up(menu)
    home = menu.see("Choose: ")
    assert "My trackers" in home and "Log out" in home and "Admin" not in home
    menu.child.sendline("a")  # the admin's key
    menu.see("Type 1, 2, 3, 4, 5, 6, 7, 8, 9, i, m, l or q to quit.")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_an_unreachable_server_is_a_sentence_not_a_traceback(open_menu):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    menu = open_menu(url)
    menu.see(f"Cannot reach progress-service at {url} (connection refused). Is it running there?")
    assert menu.leave() == 1


def test_a_server_that_goes_away_mid_session_is_a_sentence_and_the_menu_goes_on(open_menu):
    class Healthy(BaseHTTPRequestHandler):  # answers the menu's first call, then is stopped
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *args):
            pass

    stand_in = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    thread = threading.Thread(target=stand_in.serve_forever)
    thread.start()
    url = f"http://127.0.0.1:{stand_in.server_port}"
    menu = open_menu(url)
    menu.see("You are not signed in.")
    stand_in.shutdown()
    stand_in.server_close()
    thread.join()
    menu.pick("Log in")
    menu.answer("Username: ", "someone")
    menu.answer("Password: ", PASSWORD)
    menu.see(f"Cannot reach progress-service at {url} (connection refused). Is it running there?")
    menu.see("You are not signed in.")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_q_at_a_text_prompt_leaves_with_status_0(open_menu):
    menu = open_menu()
    menu.pick("Browse and search the catalog")
    menu.answer("Title contains: ", "q")
    menu.see("Goodbye.")
    assert menu.leave() == 0


@pytest.mark.parametrize("prompt", ["Choose: ", "Password: "])
def test_ctrl_c_leaves_with_a_goodbye(open_menu, prompt):
    menu = open_menu()
    if prompt == "Password: ":
        menu.pick("Log in")
        menu.answer("Username: ", "someone")
    menu.see(prompt)
    menu.child.sendintr()
    menu.see("Interrupted. Goodbye.")
    assert menu.leave() == 130


def test_ctrl_d_leaves_with_a_goodbye(open_menu):
    menu = open_menu()
    menu.see("Choose: ")
    menu.child.sendeof()
    menu.see("Goodbye.")
    assert menu.leave() == 0


def test_the_summary_opens_each_figure_to_the_trackers_and_entries_behind_it_and_a_report_its_parts(open_menu):
    menu = open_menu()
    sign_up(menu)
    open_title(menu, "Firefly")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.pick("Set the number of episodes")
    menu.answer("How many episodes done (0 to 14)? ", "14")
    menu.see("Logged: Watched episode 14 of 14.")
    menu.pick("Rate")
    menu.answer("Rating from 0.5 to 5", "4.5")
    menu.pick("Back")
    menu.pick("Back")
    open_title(menu, "Imagine")
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    for plays in (1, 2):
        menu.pick("+1 play")
        menu.see(f"Logged: Played it ({plays} play")
    menu.pick("Rate")
    menu.answer("Rating from 0.5 to 5", "3.5")
    menu.pick("Back")
    menu.pick("Back")

    entry = r"    the entry of \d{1,2} \w{3}, \d\d:\d\d — "  # when it occurred, in words: never a log id
    menu.pick("Summary")
    shown = menu.see("Type a figure's number to see what makes it.")
    assert re.search(r"1\) Planned: 0 trackers\s+2\) In progress: 1 tracker\s+3\) Completed: 1 tracker\s+", shown)
    assert re.search(r"6\) 14 episodes watched\s+7\) 0 pages read\s+8\) 0 tracks heard\s+9\) 2 plays played\s+"
                     r"10\) Ratings: 2\s+11\) Average rating: 4", shown), shown
    menu.answer("Choose: ", "2")
    explained = menu.see("Your summary:")
    assert re.search(r"In progress: 1 tracker:\s+Imagine: in progress since\s+" + entry + r"Played it \(1 play so far\)",
                     explained), explained
    menu.answer("Choose: ", "9")
    explained = menu.see("Your summary:")
    assert re.search(r"2 plays played:\s+Imagine: 2 plays, from\s+" + entry + r"Played it \(1 play so far\)\s+"
                     + entry + r"Played it \(2 plays so far\)", explained), explained
    menu.answer("Choose: ", "11")
    explained = menu.see("Your summary:")
    assert re.search(r"Average rating: 4 = \(4\.5 \+ 3\.5\) / 2:\s+Firefly: rated 4\.5 in\s+" + entry + r"Rated 4\.5\s+"
                     r"Imagine: rated 3\.5 in\s+" + entry + r"Rated 3\.5", explained), explained
    assert not re.search(r"entry \d|version", explained)
    menu.pick("Back")

    open_title(menu, "Firefly")
    menu.pick("Report")
    menu.see("Report on Firefly")
    menu.pick("Completed: 1")
    menu.see("Completed: 1:")
    menu.see("1 person with 14 episodes done")
    menu.pick("Average rating: 4.5")
    menu.see("Average rating: 4.5 = (4.5 x 1) / 1:")
    menu.see("1 person gave it 4.5")
    menu.pick("Completed by: 100%")
    menu.see("1 person finished it")


def test_a_tracker_is_started_again_after_a_confirmation_and_its_passes_are_listed_in_dates(server, open_menu):
    menu = open_menu()
    username = sign_up(menu)
    show = title(server, "Breaking Bad")
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    for change, when in [({"status": "in_progress"}, "2026-01-03T12:00:00+00:00"),
                         ({"progress": 62}, "2026-02-14T12:00:00+00:00"), ({"rating": 4}, "2026-02-14T13:00:00+00:00")]:
        post(f"{server}/api/progress/log", {"title_id": show["id"], "occurred_at": when, **change}, token)

    open_title(menu, "Breaking Bad")
    menu.see("[##########] 62 / 62 episodes, completed, rated 4")
    menu.pick("Passes")
    menu.see("Passes of Breaking Bad, oldest first:")
    menu.see("Pass 1: 3 Jan 2026 to 14 Feb 2026, 62 of 62 episodes, finished, rated 4, 3 entries")
    menu.pick("Start again (rewatch)")
    menu.answer("Rewatch Breaking Bad from the start, as pass 2? Progress goes back to 0; the passes so far stay "
                "in its history. (y/N): ", "n")
    menu.see("Nothing was started.")
    today = datetime.now().astimezone()
    menu.pick("Start again (rewatch)")
    menu.answer("as pass 2?", "y")
    menu.see("Logged: Started watching again (pass 2).")
    menu.see("Breaking Bad: [..........] 0 / 62 episodes, in progress, pass 2, rated 4")
    menu.pick("Passes")
    menu.see("Pass 1: 3 Jan 2026 to 14 Feb 2026, 62 of 62 episodes, finished, rated 4, 3 entries")
    menu.child.expect(r"Pass 2: since (\d+ \w+ \d{4}), 0 of 62 episodes, 1 entry")
    started = menu.child.match.group(1)
    assert started in {f"{day.day} {day:%b %Y}" for day in (today, today + timedelta(days=1))}  # today, by the clock


def moment(when: datetime, *, seconds: bool = False) -> str:
    """A moment as the menu names it, in this machine's local time (the menu runs here too)."""
    local = when.astimezone()
    year = "" if local.year == datetime.now().astimezone().year else f" {local.year}"
    return f"{local.day} {local:%b}{year}, {local:%H:%M}" + (f":{local.second:02}" if seconds and local.second else "")


def typed(when: datetime) -> str:
    """A local time as a person types it at the menu's prompts."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def next_second() -> datetime:
    """The start of the next second, once it has passed: what is logged from now on is after it."""
    start = datetime.now().astimezone().replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(max(0.0, (start - datetime.now().astimezone()).total_seconds()) + 0.05)
    return start


def start_tracking(menu: Menu, name: str) -> None:
    """From the home screen, put a title on the trackers as planned; its screen stays open."""
    open_title(menu, name)
    menu.pick("Add to my trackers")
    menu.answer("Status (Enter for planned): ", "")
    menu.see("Logged: Planned.")


def log_progress(menu: Menu, *numbers: int) -> None:
    for number in numbers:
        menu.pick("Set the number of episodes")
        menu.answer("How many episodes done", str(number))
        menu.see(f"Logged: Watched episode {number} of ")


def undo_between(menu: Menu, since: datetime, until: datetime, title: str) -> str:
    """From the timeline, undo what was logged in [since, until) of one title (its number; "" for
    all); what the menu shows from the titles to pick from to the preview's question."""
    menu.pick("Undo a range")
    menu.pick("Everything I logged between two times")
    menu.answer("From (YYYY-MM-DD HH:MM", typed(since))
    menu.answer("To, not included", typed(until))
    listed = menu.see("Type its number, or press Enter for all titles: ")
    menu.child.sendline(title)
    return listed + menu.see("? (y/N): ")


def test_retractions_ask_first_and_a_retraction_is_undone_from_the_timeline(open_menu):
    menu = open_menu()
    sign_up(menu)
    start_tracking(menu, "Breaking Bad")
    log_progress(menu, 2, 5)
    menu.pick("Timeline of this title")

    menu.pick("Watched episode 5 of 62")
    menu.pick("Retract this entry")
    fifth = menu.see_pattern(rf"Retract (the entry of ({MOMENT}) — Watched episode 5 of 62)\? \(y/N\): ")
    the_fifth = fifth.group(1)
    menu.child.sendline("n")
    menu.see("Nothing was changed.")
    listing = menu.see("Type an entry's number")
    assert re.search(r" 1\) [\d-]+ [\d:]+  Breaking Bad: Watched episode 5 of 62\r\n", listing), listing  # counts
    menu.answer("Choose: ", "1")
    menu.pick("Retract this entry")
    menu.answer(f"Retract {the_fifth}? (y/N): ", "y")
    menu.see(f"Retracted {the_fifth}. Breaking Bad now: [..........] 2 / 62 episodes, in progress")
    listing = menu.see("Type an entry's number")
    assert re.search(rf" 1\) [\d-]+ [\d:]+  Breaking Bad: Retracted {re.escape(the_fifth)}\r\n"
                     r" +2\) [\d-]+ [\d:]+  Breaking Bad: Watched episode 5 of 62 \(retracted\)\r\n", listing), listing

    menu.answer("Choose: ", "1")
    menu.see(f"Breaking Bad: The retraction of {the_fifth}")
    menu.see("Right after it, by everything known now: [..........] 2 / 62 episodes, in progress")
    menu.pick("Undo this retraction")
    menu.answer(f"Undo the retraction of {the_fifth}? (y/N): ", "y")
    menu.see(f"Undid the retraction of {the_fifth}. Breaking Bad now: [..........] 5 / 62 episodes, in progress")
    shown = menu.see("Type an entry's number")
    assert re.search(rf" 1\) [\d-]+ [\d:]+  Breaking Bad: Undid the retraction of {re.escape(the_fifth)}\r\n"
                     rf" +2\) [\d-]+ [\d:]+  Breaking Bad: Retracted {re.escape(the_fifth)} \(undone\)\r\n"
                     r" +3\) [\d-]+ [\d:]+  Breaking Bad: Watched episode 5 of 62\r\n", shown), shown
    assert not re.search(r"\b[Ee]ntry \d|version \d", menu.output.getvalue())  # never a log id or a version

    menu.answer("Choose: ", "2")  # the retraction, undone: it cannot be undone again
    menu.see("It was undone later.")
    options = menu.see("Choose: ")
    assert "Undo this" not in options and "Retract this" not in options, options
    menu.child.sendline("q")
    assert menu.leave() == 0


def test_a_range_is_previewed_in_words_undone_and_the_undo_undone(open_menu):
    menu = open_menu()
    sign_up(menu)
    start_tracking(menu, "Breaking Bad")
    log_progress(menu, 2)
    since = next_second()  # the range: from here on
    log_progress(menu, 5)
    menu.pick("Rate")
    menu.answer("Rating from 0.5 to 5", "4")
    menu.pick("Back")
    menu.pick("Back")
    start_tracking(menu, "Bad Guy")
    menu.pick("+1 play")
    menu.see("Logged: Played it (1 play so far).")
    until = next_second()
    menu.pick("Back")
    menu.pick("Back")

    menu.pick("Timeline")
    menu.pick("Undo a range")
    menu.pick("Everything I logged yesterday")  # this account logged nothing yesterday
    menu.answer("Type its number, or press Enter for all titles: ", "")
    menu.see("Nothing was logged in that range.")

    preview = undo_between(menu, since, until, "2")  # Breaking Bad alone: Bad Guy stays
    assert re.search(r"1\) Bad Guy\r\n +2\) Breaking Bad\r\n", preview), preview  # the titles to pick from
    assert preview.endswith("This takes back 2 entries:\r\n  Breaking Bad: episode 5 → episode 2; rating 4 → none\r\n"
                            "Undo these 2 entries"), preview
    menu.child.sendline("n")
    menu.see("Nothing was changed.")

    preview = undo_between(menu, since, until, "")
    assert "This takes back 4 entries:" in preview and preview.endswith("Undo these 4 entries"), preview
    assert "  Breaking Bad: episode 5 → episode 2; rating 4 → none\r\n" in preview, preview
    assert "  Bad Guy: 1 play → removed\r\n" in preview, preview
    menu.child.sendline("y")
    menu.see(f"Undid 4 entries: everything you logged from {moment(since, seconds=True)} "
             f"to {moment(until, seconds=True)}.")
    menu.pick("Undo this undo")
    menu.see("The undo is undone: those 4 entries count again.")
    after = menu.see("Type an entry's number")
    assert "  Breaking Bad: episode 2 → episode 5; rating none → 4\r\n" in after, after
    assert "  Bad Guy: no tracker → 1 play\r\n" in after, after
    assert "Bad Guy: Played it (1 play so far)\r\n" in after, after  # it counts again
    menu.pick("Back")
    menu.pick("My trackers")
    board = menu.see("Type a tracker's number to open it.")
    assert re.search(r"\) Bad Guy +1 play\r\n", board) and re.search(
        r"\) Breaking Bad +\[\.+\] 5 / 62 episodes  rated 4\r\n", board), board
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def as_it_was(menu: Menu, when: str, *, known_then: bool) -> None:
    """On a title's screen, ask for its tracker as it was ``when`` (as known then, or now)."""
    menu.pick("See it as it was on a date")
    menu.answer("As it was when?", when)
    menu.answer("As we knew it then, leaving out what was logged later? (y/N): ", "y" if known_then else "n")


def test_a_tracker_is_shown_as_it_was_on_a_date_and_as_it_was_known_then(open_menu):
    menu = open_menu()
    sign_up(menu)
    start_tracking(menu, "Breaking Bad")
    log_progress(menu, 3)
    menu.pick("Add a note")
    menu.answer("Note (Enter cancels): ", "The pilot hooks you")
    log_progress(menu, 7)
    then = next_second()
    menu.pick("Timeline of this title")  # episode 7 is retracted after `then`: known then, not now
    menu.pick("Watched episode 7 of 62")
    menu.pick("Retract this entry")
    menu.answer("? (y/N): ", "y")
    menu.see("Breaking Bad now: [..........] 3 / 62 episodes, in progress")
    menu.pick("Back")

    as_it_was(menu, typed(then), known_then=False)
    shown = menu.see("Notes:")
    assert shown.endswith(f"Breaking Bad as it was on {moment(then, seconds=True)}:\r\n  Status: in progress\r\n"
                          "  Progress: [..........] 3 / 62 episodes\r\n  Rating: not rated\r\n  "), shown
    menu.see("    - The pilot hooks you")

    as_it_was(menu, typed(then), known_then=True)
    menu.see(f"Breaking Bad as it was on {moment(then, seconds=True)}, as we knew it then:")
    menu.see("  Progress: [#.........] 7 / 62 episodes")

    as_it_was(menu, "2020-01-01", known_then=False)  # a day alone: its end, long before the first entry
    menu.see("No tracker yet on that date.")
    as_it_was(menu, "2020-01-01", known_then=True)
    menu.see("No tracker yet on that date, as we knew it then.")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_a_new_tracker_on_an_own_title_is_made_tracked_and_kept_from_the_catalog(server, open_menu):
    menu = open_menu()
    sign_up(menu)
    menu.pick("My own titles")
    menu.see("You have made no titles of your own yet.")
    menu.pick("New tracker on a title of my own")
    menu.answer("Kind: ", "2")
    menu.answer("Name (Enter cancels): ", "Grandma's recipe book")
    menu.answer("Creator: ", "Grandma")
    menu.answer("Year: ", "")
    menu.answer("Number of pages", "40")
    menu.see("Made Grandma's recipe book (book, 40 pages): it is in your trackers, planned.")
    menu.pick("Grandma's recipe book (book, 40 pages)")
    menu.see("Grandma's recipe book: [..........] 0 / 40 pages, planned")
    screen = menu.see("Choose: ")
    assert "Report" not in screen, screen
    menu.child.sendline(re.search(r"(\w+)\) \+1 page", screen).group(1))
    menu.see("Logged: Read to page 1 of 40.")
    menu.pick("Back")
    menu.pick("Remove one of my titles")
    menu.answer("Choose: ", "1")
    menu.answer("Only a title you never tracked can be removed. (y/N): ", "y")
    menu.see("cannot be deleted: you track it")
    menu.pick("Back")
    menu.pick("Browse and search the catalog")
    menu.answer("Title contains: ", "recipe")
    menu.answer("Genre", "")
    menu.answer("Kind", "")
    menu.see('No titles match')
    status, page = get(f"{server}/api/titles?q=recipe")
    assert status == 200 and page["total"] == 0


def new_custom_title(menu: Menu, name: str, unit: str, total: str = "") -> None:
    """From the own titles screen, make a title of one's own counted in ``unit``."""
    menu.pick("New tracker on a title of my own")
    menu.see("5) something of my own")
    menu.answer("Kind: ", "5")
    menu.answer("Name (Enter cancels): ", name)
    menu.answer("Unit (your own word, e.g. km, hour, glass): ", unit)
    if unit:
        menu.answer(f"Total in {unit} (Enter if none): ", total)


def own_titles_of(server: str, token: str) -> tuple[int, list[dict]]:
    """The signed-in user's id and own titles, as the API has them."""
    _, me = get(f"{server}/api/users/me", token)
    _, titles = get(f"{server}/api/progress/{me['id']}/titles", token)
    return me["id"], titles["items"]


def test_a_custom_title_in_km_adds_decimal_amounts_and_says_them_as_the_api_counts_them(server, open_menu):
    menu = open_menu()
    username = sign_up(menu)
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    menu.pick("My own titles")
    new_custom_title(menu, "Running", "km")
    menu.see("Made Running (custom title, counted in km): it is in your trackers, planned.")
    menu.pick("Running (custom title, counted in km)")
    menu.see("Running: 0 km, planned")
    menu.pick("Add km")
    menu.answer("How many km to add? ", "5.25")
    menu.see("Logged: Logged 5.25 km (5.25 km so far).")
    menu.see("Running: 5.25 km, in progress")
    menu.pick("Add km")
    for amount, said in (("1.255", "Type an amount with at most 2 decimal places, such as 5.25."),
                         ("-2", "Type an amount of 0 or more, such as 5.25."), ("far", "Type a number, such as 5.25.")):
        menu.answer("How many km to add? ", amount)
        menu.see(said)
    menu.answer("How many km to add? ", "2.5")
    menu.see("Logged: Logged 2.5 km (7.75 km so far).")
    menu.see("Running: 7.75 km, in progress")
    user_id, [running] = own_titles_of(server, token)
    status, tracker = get(f"{server}/api/progress/{user_id}/trackers/{running['id']}", token)
    assert status == 200 and (tracker["progress"], tracker["title"]["unit"]) == (7.75, "km")

    menu.pick("Set the number of km")
    menu.answer("How many km done? ", "12.5")
    menu.see("Logged: Reached 12.5 km.")
    menu.see("Running: 12.5 km, in progress")
    assert get(f"{server}/api/progress/{user_id}/trackers/{running['id']}", token)[1]["progress"] == 12.5
    menu.pick("Back")
    menu.pick("Back")
    menu.pick("My trackers")
    board = menu.see("Type a tracker's number to open it.")
    assert re.search(r"In progress \(1\)\s+1\) Running\s+12\.5 km\r?\n", board), board
    menu.pick("Back")
    menu.pick("Summary")
    shown = menu.see("Type a figure's number to see what makes it.")
    assert re.search(r"9\) 0 plays played\s+10\) 12\.5 km done\s+11\) Ratings: 0", shown), shown
    menu.answer("Choose: ", "10")  # what makes the km: the entries behind them, in the owner's word
    explained = menu.see("Reached 12.5 km")
    assert "12.5 km done:" in explained and "Running: 12.5 km, from" in explained, explained


def test_a_catalog_tracker_keeps_whole_numbers_in_the_menu(server, open_menu):
    menu = open_menu()
    username = sign_up(menu)
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    start_tracking(menu, "Breaking Bad")
    screen = menu.see("Choose: ")
    assert "+1 episode" in screen and "Add episodes" not in screen, screen
    menu.child.sendline(re.search(r"(\w+)\) Set the number of episodes", screen).group(1))
    menu.answer("How many episodes done (0 to 62)? ", "2.5")
    menu.see("Type a whole number.")
    menu.answer("How many episodes done (0 to 62)? ", "")
    menu.see("Breaking Bad: [..........] 0 / 62 episodes, planned")
    _, me = get(f"{server}/api/users/me", token)
    status, tracker = get(f"{server}/api/progress/{me['id']}/trackers/{title(server, 'Breaking Bad')['id']}", token)
    assert status == 200 and (tracker["progress"], tracker["version"]) == (0, 1)


def test_a_custom_unit_the_api_refuses_is_its_sentence_and_makes_nothing(server, open_menu):
    menu = open_menu()
    username = sign_up(menu)
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    menu.pick("My own titles")
    new_custom_title(menu, "Water", "g" * 21)
    menu.see(f"A custom title's unit is a word of 1 to 20 characters, such as km, hour or glass; got '{'g' * 21}'.")
    menu.see("You have made no titles of your own yet.")
    new_custom_title(menu, "Water", "")
    menu.see("A title of your own is counted in a unit of your words; nothing was made.")
    menu.see("You have made no titles of your own yet.")
    assert own_titles_of(server, token)[1] == []

    new_custom_title(menu, "Water", "glass", "8")
    menu.see("Made Water (custom title, 8 glass): it is in your trackers, planned.")
    menu.pick("Water (custom title, 8 glass)")
    menu.pick("Add glass")
    menu.answer("How many glass to add? ", "2.5")
    menu.see("Logged: Logged 2.5 glass (2.5 glass so far).")
    menu.see("Water: [###.......] 2.5 / 8 glass, in progress")


def test_upcoming_up_next_a_month_in_words_and_the_calendar_feed(server, open_menu):
    admin = post(f"{server}/api/auth/login", {"username": ADMIN, "password": ADMIN_PASSWORD})["access_token"]
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    coming, out = f"Coming Soon {uuid.uuid4().hex[:6]}", f"Out Already {uuid.uuid4().hex[:6]}"
    coming_id = post(f"{server}/api/titles", {"kind": "tv_show", "name": coming, "total_units": 10,
                                              "release_date": tomorrow.isoformat()}, admin)["id"]
    out_id = post(f"{server}/api/titles", {"kind": "tv_show", "name": out, "total_units": 62,
                                           "release_date": "2026-03-14"}, admin)["id"]
    menu = open_menu()
    username = sign_up(menu)
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    post(f"{server}/api/progress/log", {"title_id": coming_id, "status": "planned"}, token)
    post(f"{server}/api/progress/log", {"title_id": out_id, "progress": 13,
                                        "occurred_at": "2026-03-14T20:00:00+00:00"}, token)
    change_mail(menu, email="calendar@example.org", timezone="America/New_York", at="21:00")
    menu.see("(America/New_York).")

    menu.pick("Releases and calendar")
    menu.pick("Upcoming")
    menu.see(f"{coming} — comes out on {tomorrow.day} {tomorrow:%b %Y}")
    menu.pick("Up next")
    menu.see(f"{out} — next: episode 14 of 62")
    menu.pick("A month of the calendar")
    menu.answer("Which month (YYYY-MM, Enter for", "2026-3")
    menu.see("Type a month as YYYY-MM, such as 2027-03.")
    menu.answer("Which month (YYYY-MM, Enter for", "2026-03")
    menu.see("March 2026 (days in America/New_York, your timezone in the mail settings):")
    menu.see("Sat 14 Mar: 1 release, 1 entry")  # 16:00 on the 14th in New York
    menu.see(f"{out} comes out")
    menu.see(f"{moment(datetime(2026, 3, 14, 20, 0, tzinfo=timezone.utc))} — {out}: Watched episode 13 of 62")

    menu.pick("The address of my calendar feed")
    old = menu.see_pattern(r"(http://\S+\.ics)").group(1)
    with urllib.request.urlopen(old, timeout=10) as feed:
        assert f"SUMMARY:{coming} comes out" in feed.read().decode().replace("\r\n ", "")
    menu.pick("Make a new calendar feed address")
    menu.answer("(y/N): ", "y")
    menu.see("The old address has stopped working. Your new calendar feed:")
    new = menu.see_pattern(r"(http://\S+\.ics)").group(1)
    assert new != old
    with pytest.raises(urllib.error.HTTPError) as ended:
        urllib.request.urlopen(old, timeout=10)
    ended.value.close()
    assert ended.value.code == 404

    menu.answer("Choose: ", "b")
    open_title(menu, coming)
    menu.pick("+1 episode")
    menu.see(f"This title comes out on {tomorrow.day} {tomorrow:%b %Y}; until then you can plan it")


def test_goals_show_text_bars_are_added_and_deleted_and_the_year_in_review_is_told_in_words(server, open_menu):
    menu = open_menu()
    username = sign_up(menu)
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    dune, emma = title(server, "Animal Farm"), title(server, "Brave New World")
    post(f"{server}/api/progress/log", {"title_id": dune["id"], "progress": dune["total_units"]}, token)
    last_year = datetime.now(timezone.utc).year - 1
    for change in ({"progress": emma["total_units"]}, {"rating": 4.5}):
        post(f"{server}/api/progress/log", {"title_id": emma["id"], **change,
                                           "occurred_at": f"{last_year}-03-05T12:00:00+00:00"}, token)
    today = datetime.now(timezone.utc).date()

    menu.pick("Goals, and the year in review")
    menu.see("You have no goals yet.")
    menu.pick("Add a goal")
    for question, label in (("What to count?", "titles finished"), ("Of which kind?", "books")):
        menu.see(question)
        menu.pick(label)
    menu.answer("How many? ", "4")
    menu.see("Each?")
    menu.pick("once, from a day to a day")
    # 20 days, today the 10th: 2 of the 4 books are due by tonight, and 1 is read.
    menu.answer("Starts on", (today - timedelta(days=9)).isoformat())
    menu.answer("Ends on", (today + timedelta(days=10)).isoformat())
    span = f"{(today - timedelta(days=9)).day} {today - timedelta(days=9):%b %Y} to " \
           f"{(today + timedelta(days=10)).day} {today + timedelta(days=10):%b %Y}"
    menu.see(f"Added the goal “4 books in all”: 4 books in all: [##........] 1 of 4 books, behind ({span}).")
    menu.see(f"1) 4 books in all: [##........] 1 of 4 books, behind ({span})")
    menu.answer("Choose: ", "1")
    assert "25% done; 2 due by today at an even pace." in menu.see("Delete this goal")
    menu.answer("Choose: ", "d")
    menu.answer("Delete the goal “4 books in all”? Your entries stay as they are (y/N): ", "y")
    assert "Deleted the goal “4 books in all”." in menu.see("You have no goals yet.")

    menu.pick("Year in review")
    menu.answer("Which year", str(last_year))
    told = menu.see("Back")
    assert f"Your {last_year}:" in told
    assert "Trackers at the end of the year: 1 completed." in told
    assert f"Consumed: {emma['total_units']} pages." in told
    assert "Titles finished: 1; by month: Jan 0, Feb 0, Mar 1, Apr 0," in told
    assert "Entries: 2." in told and "Rated highest: Brave New World (4.5)." in told
    assert f"Longest streak: 1 day, 5 Mar {last_year}." in told


def test_a_goal_in_a_custom_unit_is_offered_that_unit_and_counts_its_decimals(server, open_menu):
    menu = open_menu()
    username = sign_up(menu)
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    user_id = get(f"{server}/api/users/me", token)[1]["id"]
    running = post(f"{server}/api/progress/{user_id}/titles", {"kind": "custom", "name": "Running", "unit": "km"}, token)
    post(f"{server}/api/progress/log", {"title_id": running["id"], "delta": 5.25}, token)
    year = datetime.now(timezone.utc).year

    menu.pick("Goals, and the year in review")
    menu.pick("Add a goal")
    menu.see("What to count?")
    menu.pick("units (pages, episodes, tracks, plays)")
    menu.see("Of which kind?")
    menu.pick("Any kind")
    menu.see("Which unit?")
    menu.pick("km")  # one's own unit, offered beside the catalog's
    menu.answer("How many? ", "20")
    menu.see("Each?")
    menu.pick("a year")
    menu.answer("Starts on", f"{year}-01-01")
    menu.answer("Ends on", "")
    added = menu.see(f"to 31 Dec {year}).")
    assert re.search(r"Added the goal “20 km a year”: 20 km a year: \[##\.{8}\] 5\.25 of 20 km, (behind|on track)",
                     added), added


def change_mail(menu: Menu, *, email: str, timezone: str, at: str | None, weekly: bool = True,
                releases: bool = False) -> None:
    """Change the mail settings: this address and timezone, a reminder at ``at`` (none without it), a
    weekly digest (unless not ``weekly``), releases when asked, no monthly digest."""
    menu.pick("Mail: reminders and digests")
    menu.pick("Change the mail settings")
    menu.answer("Email (Enter keeps none, - for none): ", email)
    menu.answer("Timezone, such as Europe/Paris (Enter keeps UTC): ", timezone)
    menu.answer("Daily reminder on a day you logged nothing? (y/N): ", "y" if at else "n")
    if at:
        menu.answer("At what time, HH:MM (Enter keeps 20:00): ", at)
    menu.answer("Weekly digest each Monday? (y/N): ", "y" if weekly else "n")
    menu.answer("Monthly digest on the first of each month? (y/N): ", "n")
    menu.answer("A mail when a title you plan comes out? (y/N): ", "y" if releases else "n")


def test_the_mail_settings_are_shown_changed_and_refused_in_the_apis_words(open_menu):
    menu = open_menu()
    sign_up(menu)
    menu.pick("Mail: reminders and digests")
    menu.see("Mail goes to no address; days are counted in UTC.")
    menu.see("Daily reminder: off")
    menu.pick("Mails sent")
    menu.see("No mail has been sent to you yet.")

    change_mail(menu, email="menu@example.org", timezone="Mars/Olympus", at="8pm")
    menu.see("Some fields are not valid: daily_reminder, timezone.")
    menu.see("daily_reminder: The reminder's time is HH:MM on a 24-hour clock, such as 20:00.")
    menu.see("timezone: 'Mars/Olympus' is not a timezone this service knows")
    menu.pick("Mail: reminders and digests")
    menu.see("Mail goes to no address")  # nothing was saved
    menu.answer("Choose: ", "b")

    change_mail(menu, email="menu@example.org", timezone="Europe/Paris", at="21:30")
    menu.see("Saved: a daily reminder at 21:30, a weekly digest, to menu@example.org (Europe/Paris).")
    menu.pick("Mail: reminders and digests")
    shown = menu.see("Choose: ")
    assert ("Mail goes to menu@example.org; days are counted in Europe/Paris." in shown
            and "Daily reminder: on, at 21:30 on a day you logged nothing" in shown
            and "Weekly digest: on; monthly digest: off; releases: off" in shown
            and 'on the day a title you plan comes out, a mail that says "Out now", once for each title' in shown)
    menu.child.sendline("b")
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_the_mails_sent_list_the_release_mail_of_a_planned_title_out_today(server, open_menu):
    admin = post(f"{server}/api/auth/login", {"username": ADMIN, "password": ADMIN_PASSWORD})["access_token"]
    today = datetime.now(timezone.utc).date()
    name = f"Out Today {uuid.uuid4().hex[:6]}"
    title_id = post(f"{server}/api/titles", {"kind": "tv_show", "name": name, "total_units": 8,
                                             "release_date": today.isoformat()}, admin)["id"]
    menu = open_menu()
    username = sign_up(menu)
    token = post(f"{server}/api/auth/login", {"username": username, "password": PASSWORD})["access_token"]
    post(f"{server}/api/progress/log", {"title_id": title_id, "status": "planned"}, token)
    change_mail(menu, email="planner@example.org", timezone="", at=None, weekly=False, releases=True)
    menu.see("Saved: releases, to planner@example.org (UTC).")
    deadline = time.monotonic() + 100  # serve's mail worker looks for due mail each minute
    while True:
        menu.pick("Mail: reminders and digests")
        menu.pick("Mails sent")
        if menu.child.expect_exact([f"Out now: {name} (release mail)", "No mail has been sent to you yet."]) == 0:
            break
        assert time.monotonic() < deadline, "no release mail was sent"
        time.sleep(3)
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0


def test_a_goodreads_file_is_imported_after_a_preview_listed_and_its_import_undone(open_menu):
    menu = open_menu()
    sign_up(menu)
    sample = ROOT / "tests" / "samples" / "imports" / "goodreads-dune.csv"
    menu.pick("Import:")
    menu.see("You have imported nothing yet.")
    menu.pick("Import a file")
    menu.answer("Path of the file", str(sample))
    menu.pick("a Goodreads library export (CSV)")
    preview = menu.see("Import 4 entries? (y/N): ")
    # Dune is the catalog's; The Lantern Keeper is not, so it becomes the user's own; row 3 has no date.
    finished = datetime(2021, 3, 14, tzinfo=timezone.utc).astimezone()
    assert preview.endswith(
        "3 rows read. This would log 4 entries.\r\n"
        "Titles found in the catalog or among yours (1): Dune\r\n"
        "New titles of your own (1): The Lantern Keeper\r\n"
        "Skipped 1 row:\r\n"
        "  Row 3: The Date Read '2021/13/40' is not a date like 2019/05/01.\r\n"
        "Your trackers, before → after:\r\n"
        f"  Dune: no tracker → page 412 of 412, completed, rated 4; finished on {finished.day} {finished:%b %Y}\r\n"
        "  The Lantern Keeper: no tracker → planned\r\n"), preview
    menu.child.sendline("y")
    menu.see("3 rows read. Logged 4 entries.")
    menu.see("Imported goodreads-dune.csv.")
    line = menu.see_pattern(rf"1\) ({MOMENT}) - a Goodreads library export \(CSV\): 4 entries from 3 rows, 1 skipped"
                            r" - Dune, The Lantern Keeper\r\n")
    when = line.group(1)

    menu.pick("Undo an import")
    menu.see("Which import?")
    menu.answer("Choose: ", "1")
    undo = menu.see(f"Undo the import of {when}? (y/N): ")
    assert undo.endswith(
        f"Undoing the import of {when} takes back the 4 entries it made, and nothing you logged yourself:\r\n"
        "  Dune: page 412 of 412, completed, rated 4 → removed\r\n"
        "  The Lantern Keeper: planned → removed\r\n"), undo
    menu.child.sendline("y")
    menu.see(f"Undid 4 entries: the import of {when}.")
    menu.pick("Back")  # keep it undone
    menu.see_pattern(rf"1\) {re.escape(when)} - a Goodreads library export \(CSV\): 4 entries from 3 rows, 1 skipped"
                     rf" - Dune, The Lantern Keeper - undone {MOMENT}\r\n")
    menu.pick("Undo an import")
    menu.see("There is no import to undo.")
    assert not re.search(r"\b[Ee]ntry \d|version \d", menu.output.getvalue())  # never a log id or a version
    menu.answer("Choose: ", "q")
    assert menu.leave() == 0
