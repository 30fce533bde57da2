// Log in, or create an account. The token the API gives is kept in this tab's session only.
import { api, session } from "../api.js";
import { busy, field, go, h } from "../dom.js";

/** After logging in or registering: who is this (GET /api/users/me says the role), then the board. */
async function startSession(token) {
  session.start(token, { username: "", role: "user" });
  try {
    session.start(token, await api("GET", "/api/users/me"));
  } catch (error) {
    session.end();
    throw error;
  }
  go("#/board");
}

function accountForm({ heading, submitLabel, withEmail, newPassword, onSubmit }) {
  const id = heading.toLowerCase().replace(/\W+/g, "-");
  const form = h("form", { class: "card", "aria-labelledby": id },
    h("h2", { id }, heading),
    field("Username", h("input", { name: "username", required: true, autocomplete: "username",
      autocapitalize: "none", spellcheck: "false" }), newPassword ? "3 to 32 letters, digits, _ . or -" : null),
    field("Password", h("input", { name: "password", type: "password", required: true,
      autocomplete: newPassword ? "new-password" : "current-password" }),
      newPassword ? "At least 8 characters." : null),
    withEmail ? field("Email (optional)", h("input", { name: "email", type: "email", autocomplete: "email" })) : null,
    h("button", { type: "submit" }, submitLabel));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    busy(form.querySelector("button"), () => onSubmit(values));
  });
  return form;
}

export async function render() {
  return h("section", { class: "login" },
    h("h1", {}, "Keep track of what you watch, read and hear"),
    h("div", { class: "columns two" },
      accountForm({
        heading: "Log in", submitLabel: "Log in",
        onSubmit: async ({ username, password }) => {
          const answer = await api("POST", "/api/auth/login", { username, password });
          await startSession(answer.access_token);
        },
      }),
      accountForm({
        heading: "Create an account", submitLabel: "Create account", withEmail: true, newPassword: true,
        onSubmit: async ({ username, password, email }) => {
          const answer = await api("POST", "/api/auth/register", { username, password, email: email || null });
          await startSession(answer.access_token);
        },
      })));
}
