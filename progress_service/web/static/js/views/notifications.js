// Mail: which reminders and digests you get, at which address and in which timezone, and the
// mails sent so far.
import { api } from "../api.js";
import { announce, busy, field, h, momentLabel, select } from "../dom.js";

const KINDS = {
  daily_reminder: "Daily reminder", weekly_digest: "Weekly digest", monthly_digest: "Monthly digest", release: "Release mail",
};

/** The timezones to choose from: the browser's list, with UTC and the current choice in it. */
function timezones(current) {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", current, ...known])].map((zone) => [zone, zone.replaceAll("_", " ")]);
}

function checkbox(name, label, checked, hint) {
  return h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", name, checked }),
    h("span", { class: "label" }, label)), h("small", {}, hint));
}

/** "Weekly digest for 2026-W48" in words: "the week of 23 Nov 2026", "November 2026", "2 Dec 2026". */
function periodInWords(kind, period) {
  const day = (date) => date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  if (kind === "daily_reminder" || kind === "release") return day(new Date(`${period}T00:00:00Z`));
  if (kind === "monthly_digest") {
    return new Date(`${period}-01T00:00:00Z`).toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
  }
  const [year, week] = period.split("-W").map(Number);
  const fourth = new Date(Date.UTC(year, 0, 4));  // ISO week 1 holds 4 January
  const monday = new Date(fourth.getTime() - ((fourth.getUTCDay() + 6) % 7) * 86400000 + (week - 1) * 7 * 86400000);
  return `the week of ${day(monday)}`;
}

function sentList(mails) {
  if (!mails.length) return h("p", { class: "empty" }, "No mail has been sent to you yet.");
  return h("ul", { class: "sent-mails" }, mails.map((mail) => h("li", {},
    h("strong", {}, mail.subject), " — ", `${KINDS[mail.kind]} for ${periodInWords(mail.kind, mail.period)}, sent ${momentLabel(mail.sent_at)}`)));
}

export async function render() {
  const [settings, mails] = await Promise.all([api("GET", "/api/users/me/notifications"),
    api("GET", "/api/users/me/notifications/sent?limit=20")]);
  const form = h("form", { class: "card", "aria-labelledby": "mail-settings" },
    h("h2", { id: "mail-settings" }, "Mail settings"),
    field("Email", h("input", { name: "email", type: "email", autocomplete: "email", value: settings.email || "" }),
      "Where the mails go. Leave it empty to get none."),
    field("Timezone", select("timezone", timezones(settings.timezone), settings.timezone),
      "Days, weeks and the reminder's time are counted in it."),
    checkbox("reminder", "Daily reminder", settings.daily_reminder.enabled, "A mail on a day you have logged nothing."),
    field("Reminder time", h("input", { name: "at", type: "time", value: settings.daily_reminder.at, required: true })),
    checkbox("weekly_digest", "Weekly digest", settings.weekly_digest, "Each Monday, the week before: entries, units, completions, a chart."),
    checkbox("monthly_digest", "Monthly digest", settings.monthly_digest, "On the first of each month, the month before."),
    checkbox("releases", "Releases", settings.releases, "On the day a title you plan comes out, a mail that says \"Out now\", once for each title."),
    h("button", { type: "submit" }, "Save mail settings"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), async () => {
      const values = new FormData(form);
      const saved = await api("PUT", "/api/users/me/notifications", {
        email: String(values.get("email")).trim() || null,
        timezone: String(values.get("timezone")),
        daily_reminder: { enabled: values.has("reminder"), at: String(values.get("at")).slice(0, 5) },
        weekly_digest: values.has("weekly_digest"),
        monthly_digest: values.has("monthly_digest"),
        releases: values.has("releases"),
      });
      const on = [saved.daily_reminder.enabled ? `a daily reminder at ${saved.daily_reminder.at}` : null,
        saved.weekly_digest ? "a weekly digest" : null, saved.monthly_digest ? "a monthly digest" : null,
        saved.releases ? "releases" : null].filter(Boolean);
      announce(on.length ? `Saved: ${on.join(", ")}, to ${saved.email} (${saved.timezone}).` : "Saved: you get no mail.");
    });
  });
  return h("section", { class: "notifications-view" },
    h("h1", {}, "Mail"),
    h("div", { class: "columns two" }, form,
      h("section", { class: "card", "aria-labelledby": "sent-heading" }, h("h2", { id: "sent-heading" }, "Mails sent"), sentList(mails))));
}
