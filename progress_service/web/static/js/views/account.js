// Your account: the email, a new password (which ends every other sign-in), and erasing the
// account with its whole history.
import { api, session } from "../api.js";
import { announce, busy, confirmAction, field, h } from "../dom.js";

const since = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" });

function form(heading, controls, submitLabel, onSubmit) {
  const id = heading.toLowerCase().replace(/\W+/g, "-");
  const element = h("form", { class: "card", "aria-labelledby": id }, h("h2", { id }, heading), ...controls,
    h("button", { type: "submit" }, submitLabel));
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(element.querySelector("button[type=submit]"), () => onSubmit(new FormData(element), element));
  });
  return element;
}

export async function render() {
  const me = await api("GET", "/api/users/me");
  const email = form("Email", [field("Email", h("input", { name: "email", type: "email", autocomplete: "email", value: me.email || "" }),
    "Leave it empty to have none.")], "Save email", async (values) => {
    const saved = await api("PATCH", "/api/users/me", { email: String(values.get("email")).trim() || null });
    session.start(session.token, saved);
    announce(saved.email ? `Your email is now ${saved.email}.` : "Your account has no email now.");
  });
  const password = form("Password", [
    field("New password", h("input", { name: "password", type: "password", required: true, minlength: "8", autocomplete: "new-password" }),
      "At least 8 characters. Every other place you are logged in is logged out at once."),
    field("Repeat it", h("input", { name: "again", type: "password", required: true, autocomplete: "new-password" })),
  ], "Change password", async (values, element) => {
    const chosen = String(values.get("password"));
    if (chosen !== String(values.get("again"))) throw new Error("The two passwords differ; type the same one twice.");
    await api("PATCH", "/api/users/me", { password: chosen });
    // The change ended this tab's token too: log in again with the new password, so the tab goes on.
    const answer = await api("POST", "/api/auth/login", { username: me.username, password: chosen });
    session.start(answer.access_token, answer.user);
    element.reset();
    announce("Your password is changed. You are logged out everywhere else.");
  });
  const erase = h("section", { class: "card danger-zone", "aria-labelledby": "erase-heading" },
    h("h2", { id: "erase-heading" }, "Erase the account"),
    h("p", {}, "This deletes the account and its whole history for good: every tracker, entry, rating and note. Export it first if you want to keep it."),
    h("button", {
      type: "button", class: "quiet danger",
      onclick: async (event) => {
        const ok = await confirmAction({
          title: "Erase your account and its whole history?", text: "This cannot be undone.", confirmLabel: "Erase everything",
        });
        if (!ok) return;
        await busy(event.target, async () => {
          await api("DELETE", "/api/users/me");
          session.end();
          window.dispatchEvent(new CustomEvent("signed-out", { detail: "Your account and its history were erased." }));
        });
      },
    }, "Erase my account"));
  return h("section", { class: "account-view" },
    h("h1", {}, "Your account"),
    h("p", { class: "lead" }, `${me.username}${me.role === "admin" ? " (admin)" : ""}, here since ${since.format(new Date(me.created_at))}.`),
    h("div", { class: "columns two" }, email, password), erase);
}
