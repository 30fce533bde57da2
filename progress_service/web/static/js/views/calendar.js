// The month calendar: every day of a month (days in your timezone from the Mail settings, UTC without
// them, as the service counts them), each with how
// many entries occurred and which of your titles come out; a day opens its entries and releases.
// Below it, the secret address of your calendar feed for a calendar app, and a way to replace it.
import { api, session } from "../api.js";
import {
  KINDS, announce, busy, confirmAction, fill, go, h, momentLabel, plural, releaseDateText, showDetails,
} from "../dom.js";

const monthName = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric", timeZone: "UTC" });
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** "2027-03" for the month `offset` months after `month` ("2027-03"). */
function monthAfter(month, offset) {
  const [year, number] = month.split("-").map(Number);
  const d = new Date(Date.UTC(year, number - 1 + offset, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

function thisMonth() {
  return new Date().toISOString().slice(0, 7);
}

export async function render(route) {
  const userId = session.user.id;
  const month = /^\d{4}-\d{2}$/.test(route.params.get("month") || "") ? route.params.get("month") : thisMonth();
  const answer = await api("GET", `/api/progress/${userId}/calendar?month=${month}`);
  const [year, number] = month.split("-").map(Number);
  const title = monthName.format(new Date(Date.UTC(year, number - 1, 1)));

  const dayButton = (day) => {
    const date = Number(day.date.slice(8));
    const said = [day.entries.length ? plural(day.entries.length, "entry", "entries") : "",
      day.releases.length ? plural(day.releases.length, "release") : ""].filter(Boolean).join(", ");
    const button = h("button", {
      type: "button", class: "month-day", dataset: { date: day.date },
      disabled: !said, "aria-label": `${releaseDateText(day.date)}${said ? `: ${said}` : ": nothing"}`,
      onclick: () => showDetails(releaseDateText(day.date), button,
        day.releases.length ? h("section", { class: "day-releases" }, h("h3", {}, "Comes out"),
          h("ul", {}, day.releases.map((release) => h("li", {},
            h("a", { href: `#/titles/${release.id}` }, release.name), ` (${KINDS[release.kind] || release.kind})`))))
          : null,
        day.entries.length ? h("section", { class: "day-entries" }, h("h3", {}, "Entries"),
          h("ul", {}, day.entries.map((item) => h("li", {},
            `${momentLabel(item.event.occurred_at)} — ${item.title.name}: ${item.summary}`))))
          : null),
    }, h("span", { class: "date" }, String(date)),
    day.entries.length ? h("span", { class: "dot entries" }, String(day.entries.length)) : null,
    day.releases.length ? h("span", { class: "dot releases", title: "comes out" }, "★") : null);
    return button;
  };
  const first = new Date(`${answer.days[0].date}T00:00:00Z`).getUTCDay();  // 0: Sunday
  const blanks = Array.from({ length: (first + 6) % 7 }, () => h("span", { class: "month-blank" }));

  const feedAddress = h("input", { type: "text", readonly: true, class: "feed-url", "aria-label": "Calendar feed address",
    hidden: true });
  const showAddress = async (url) => {
    feedAddress.value = url;
    feedAddress.hidden = false;
    try {
      await navigator.clipboard.writeText(url);
      announce("Copied the address of your calendar feed. Add it to your calendar app as a subscription.");
    } catch {  // no clipboard here: the address is shown, selected, to copy by hand
      announce("Here is the address of your calendar feed; copy it into your calendar app.");
    }
    feedAddress.select();
  };
  const copy = h("button", {
    type: "button", dataset: { control: "copy-feed" },
    onclick: (event) => busy(event.target, async () => {
      showAddress((await api("GET", "/api/users/me/calendar-url")).url);
    }),
  }, "Copy the feed address");
  const renew = h("button", {
    type: "button", class: "quiet", dataset: { control: "renew-feed" },
    onclick: async (event) => {
      const ok = await confirmAction({
        title: "Make a new feed address?",
        text: "The address you have now stops working at once: calendars that read it get nothing more " +
          "until you give them the new one.",
        confirmLabel: "Make a new address",
      });
      if (!ok) return;
      await busy(event.target, async () => {
        showAddress((await api("DELETE", "/api/users/me/calendar-url")).url);
      });
    },
  }, "Make a new address…");

  return fill(h("section", { class: "month-view" }),
    h("h1", {}, `Calendar: ${title}`),
    h("p", { class: "month-nav" },
      h("button", { type: "button", class: "quiet", onclick: () => go(`#/calendar?month=${monthAfter(month, -1)}`) },
        "← Previous month"), " ",
      h("button", { type: "button", class: "quiet", onclick: () => go(`#/calendar?month=${thisMonth()}`) },
        "This month"), " ",
      h("button", { type: "button", class: "quiet", onclick: () => go(`#/calendar?month=${monthAfter(month, 1)}`) },
        "Next month →")),
    h("p", { class: "hint" }, `Days run by ${answer.timezone === "UTC" ? "UTC" : `the time in ${answer.timezone}`} ` +
      "(your timezone in Mail settings). A day with something on it opens its entries and releases."),
    h("div", { class: "month-grid", role: "group", "aria-label": title },
      WEEKDAYS.map((day) => h("span", { class: "weekday", "aria-hidden": "true" }, day)),
      blanks, answer.days.map(dayButton)),
    h("section", { class: "feed", "aria-labelledby": "feed-heading" },
      h("h2", { id: "feed-heading" }, "Calendar feed"),
      h("p", {}, "A secret address your calendar app can subscribe to: the release dates of the titles you " +
        "track and the days you finished something. Anyone with the address can read it."),
      h("p", { class: "board-actions" }, copy, renew), feedAddress));
}
