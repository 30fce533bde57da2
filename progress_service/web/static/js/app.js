// The page's frame: which view the address (#/board, #/timeline?title=3 …) asks for, the menu,
// and the account line. Each view lives in its own module under views/.
import { api, session } from "./api.js";
import { announce, clearNotice, go, h, showError } from "./dom.js";
import * as account from "./views/account.js";
import * as admin from "./views/admin.js";
import * as board from "./views/board.js";
import * as calendar from "./views/calendar.js";
import * as catalog from "./views/catalog.js";
import * as exporter from "./views/export.js";
import * as goals from "./views/goals.js";
import * as importer from "./views/import.js";
import * as login from "./views/login.js";
import * as mine from "./views/mine.js";
import * as review from "./views/review.js";
import * as notifications from "./views/notifications.js";
import * as summary from "./views/summary.js";
import * as timeline from "./views/timeline.js";
import * as title from "./views/title.js";

const VIEWS = { board, catalog, mine, titles: title, timeline, calendar, summary, goals, review, import: importer, export: exporter, mail: notifications, account, admin, login };

/** "#/titles/12?x=1" → {name: "titles", id: "12", params: URLSearchParams("x=1")} */
function currentRoute() {
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", id = null] = path.split("/");
  return { name: name || "board", id, params: new URLSearchParams(search) };
}

let shown = 0;
let navigated = false;  // focus moves to the new view only when the user went somewhere
let pendingNotice = null;  // said on the next view, after it clears the old notices

async function show({ keepNotice = false } = {}) {
  const route = currentRoute();
  const user = session.user;
  if (!user && route.name !== "login") return redirect("#/login");
  if (user && route.name === "login") return redirect("#/board");
  const view = VIEWS[route.name] && (route.name !== "admin" || user.role === "admin") ? VIEWS[route.name] : null;
  frame(user, route.name);
  if (!keepNotice) clearNotice();
  if (pendingNotice) {
    pendingNotice();
    pendingNotice = null;
  }
  const main = document.getElementById("view");
  const ticket = ++shown;
  main.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  if (!view) {
    main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "There is no such page here. ",
      h("a", { href: "#/board" }, "Go to your board"), "."));
    return;
  }
  try {
    const content = await view.render(route);
    if (ticket !== shown) return;  // the user went elsewhere meanwhile
    main.replaceChildren(content);
    document.title = `${main.querySelector("h1")?.textContent || "progress"} · progress`;
    if (document.activeElement === document.body || !main.contains(document.activeElement)) {
      if (navigated) main.focus({ preventScroll: true });
    }
  } catch (error) {
    if (ticket !== shown) return;
    main.replaceChildren(h("h1", {}, "Something went wrong"));
    showError(error);
  }
}

/** Show another view in place of the one asked for, without a step in the browser's history. */
function redirect(hash) {
  history.replaceState(null, "", hash);
  return show();
}

/** The menu and the account line, for who is logged in. */
function frame(user, active) {
  document.getElementById("nav").hidden = !user;
  document.getElementById("account").hidden = !user;
  document.getElementById("who").textContent = user ? user.username : "";
  document.querySelector("[data-admin-only]").hidden = !(user && user.role === "admin");
  for (const link of document.querySelectorAll("#nav a, #who")) {
    const here = link.dataset.view === active || (active === "titles" && link.dataset.view === "catalog");
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

window.addEventListener("hashchange", () => {
  navigated = true;
  show();
});

// The menu's link to the view already shown shows it again, fresh.
document.getElementById("nav").addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (link && link.hash === location.hash) {
    event.preventDefault();
    navigated = true;
    show();
  }
});

// A token that expired or whose account is gone: back to the login form, saying why.
window.addEventListener("session-ended", (event) => {
  pendingNotice = () => showError(new Error(event.detail));
  navigated = true;
  redirect("#/login");
});

// The account was erased: back to the login form, saying so.
window.addEventListener("signed-out", (event) => {
  pendingNotice = () => announce(event.detail);
  navigated = true;
  redirect("#/login");
});

document.getElementById("log-out").addEventListener("click", () => {
  session.end();
  go("#/login");
});

// The role can change between visits; ask again when the page opens with a session.
if (session.token) {
  api("GET", "/api/users/me").then((me) => {
    session.start(session.token, me);
    show({ keepNotice: true });
  }, () => show({ keepNotice: true }));
} else {
  show();
}
