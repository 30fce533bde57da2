// The summary: trackers by status and kind, units consumed, ratings, and the year's activity as a
// calendar (entries per day) and a chart (entries per week), both drawn here from the user's log.
import { api, query, session } from "../api.js";
import { CUSTOM, KINDS, STATUSES, dayKey, h, numberText, plural, svg, unitWord } from "../dom.js";
import { explainSummaryFigure, figureButton } from "./explain.js";

const UNIT_WORDS = { episode: "watched", page: "read", track: "heard", play: "" };
const KIND_ROWS = { ...KINDS, [CUSTOM]: "Custom" };
const WEEKS = 53;
const monthFormat = new Intl.DateTimeFormat(undefined, { month: "short" });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

/** Entries per local day over the last year, read from the log a page at a time. */
async function entriesPerDay(userId, since) {
  const perDay = new Map();
  let before = null;
  do {
    const page = await api("GET", `/api/progress/${userId}${query({ since: since.toISOString(), limit: 200, before })}`);
    for (const event of page.items) {
      const key = dayKey(event.occurred_at);
      perDay.set(key, (perDay.get(key) || 0) + 1);
    }
    before = page.next_before;
  } while (before);
  return perDay;
}

/** The Monday that starts the first of the 53 weeks shown (weeks run Monday to Sunday). */
function firstDay(today) {
  const monday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - ((today.getDay() + 6) % 7));
  return new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() - 7 * (WEEKS - 1));
}

function addDays(date, n) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + n);
}

function level(count, most) {
  if (!count) return 0;
  return Math.min(4, Math.ceil((4 * count) / most));
}

/** Place an element in the calendar's grid: row 1 holds the months, column 1 the weekdays. */
function at(element, row, column) {
  element.style.setProperty("grid-area", `${row} / ${column}`);
  return element;
}

/** A box that scrolls sideways on a narrow screen (the page itself never does), showing the latest first. */
function scroller(className, content) {
  const box = h("div", { class: `scroll ${className}` }, content);
  requestAnimationFrame(() => { box.scrollLeft = box.scrollWidth; });
  return box;
}

function calendar(perDay, start, today) {
  const days = [];
  for (let i = 0; i < WEEKS * 7; i++) days.push(addDays(start, i));
  const counts = days.map((d) => (d > today ? null : perDay.get(dayKey(d)) || 0));
  const most = Math.max(1, ...counts.filter((c) => c !== null));
  const total = counts.reduce((a, c) => a + (c || 0), 0);
  const active = counts.filter((c) => c).length;
  const grid = h("div", {
    class: "calendar-grid", role: "img",
    "aria-label": `${plural(total, "entry", "entries")} on ${plural(active, "day")} in the last year`,
  });
  ["Mon", "Wed", "Fri"].forEach((name, i) => grid.append(at(h("span", { class: "weekday" }, name), 2 + 2 * i, 1)));
  for (let week = 0; week < WEEKS; week++) {
    const monday = addDays(start, 7 * week);
    if (monday.getDate() <= 7) grid.append(at(h("span", { class: "month" }, monthFormat.format(monday)), 1, week + 2));
  }
  days.forEach((day, i) => {
    const count = counts[i];
    const cell = count === null ? h("span", { class: "day future" }) : h("span", {
      class: `day level-${level(count, most)}`, title: `${plural(count, "entry", "entries")} on ${dateFormat.format(day)}`,
      dataset: { date: dayKey(day), count: String(count) },
    });
    grid.append(at(cell, 2 + (i % 7), 2 + Math.floor(i / 7)));
  });
  return h("figure", { class: "calendar" },
    h("figcaption", {}, h("h3", {}, "Activity calendar"), ` ${plural(active, "active day")} in the last year`),
    scroller("calendar-scroll", grid),
    h("p", { class: "legend", "aria-hidden": "true" }, "Less ", [0, 1, 2, 3, 4].map((l) => h("span", { class: `day level-${l}` })), " More"));
}

function weeklyChart(perDay, start, today) {
  const weeks = Array.from({ length: WEEKS }, (_, week) => {
    let count = 0;
    for (let d = 0; d < 7; d++) count += perDay.get(dayKey(addDays(start, 7 * week + d))) || 0;
    return { monday: addDays(start, 7 * week), count };
  });
  const busiest = Math.max(0, ...weeks.map((w) => w.count));
  const most = Math.max(1, busiest);
  const width = 10;
  const height = 64;
  const chart = svg("svg", {
    viewBox: `0 0 ${WEEKS * width + 30} ${height + 20}`, class: "week-chart", role: "img",
    "aria-label": `Entries per week over the last year; the busiest week had ${plural(busiest, "entry", "entries")}`,
  });
  chart.append(svg("text", { x: "0", y: "10", class: "axis" }, String(most)), svg("text", { x: "0", y: String(height), class: "axis" }, "0"),
    svg("line", { x1: "28", x2: String(WEEKS * width + 30), y1: String(height), y2: String(height), class: "baseline" }));
  weeks.forEach((week, i) => {
    const barHeight = (height - 4) * (week.count / most);
    const bar = svg("rect", {
      x: String(30 + i * width), y: String(height - barHeight), width: String(width - 2), height: String(barHeight),
      class: week.count ? "bar" : "bar none", "data-week": dayKey(week.monday), "data-count": String(week.count),
    }, svg("title", {}, `Week of ${dateFormat.format(week.monday)}: ${plural(week.count, "entry", "entries")}`));
    chart.append(bar);
    if (week.monday.getDate() <= 7 && i > 0) {
      chart.append(svg("text", { x: String(30 + i * width), y: String(height + 14), class: "axis" }, monthFormat.format(week.monday)));
    }
  });
  return h("figure", { class: "weekly" }, h("figcaption", {}, h("h3", {}, "Entries per week"),
    busiest ? ` the busiest had ${plural(busiest, "entry", "entries")}` : " none in the last year"), scroller("chart-scroll", chart));
}

export async function render() {
  const userId = session.user.id;
  const today = new Date();
  const start = firstDay(today);
  const [summary, perDay] = await Promise.all([
    api("GET", `/api/progress/summary/${userId}`), entriesPerDay(userId, start)]);
  const kinds = Object.keys(KIND_ROWS).filter((kind) => Object.values(summary.by_kind[kind] || {}).some(Boolean));
  return h("section", { class: "summary-view" },
    h("h1", {}, "Summary"),
    h("section", { "aria-labelledby": "counts-heading" },
      h("h2", { id: "counts-heading" }, "Trackers"),
      h("ul", { class: "tiles" }, Object.entries(STATUSES).map(([status, label]) =>
        h("li", { class: "tile", dataset: { status } }, figureButton(`${summary.counts[status]} ${label}`, (b) => explainSummaryFigure(userId, `counts.${status}`, `${label}: ${plural(summary.counts[status], "tracker")}`, b),
          h("strong", {}, String(summary.counts[status])), h("span", {}, label))))),
      kinds.length ? h("div", { class: "table-scroll" }, h("table", { class: "by-kind" },
        h("caption", {}, "By kind"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Kind"), Object.values(STATUSES).map((s) => h("th", { scope: "col" }, s)))),
        h("tbody", {}, kinds.map((kind) => h("tr", { dataset: { kind } }, h("th", { scope: "row" }, KIND_ROWS[kind]),
          Object.keys(STATUSES).map((s) => h("td", {}, String(summary.by_kind[kind][s])))))))) : null),
    h("section", { "aria-labelledby": "units-heading" },
      h("h2", { id: "units-heading" }, "Consumed"),
      h("ul", { class: "tiles" }, Object.entries(summary.units).map(([unit, n]) => {
        const said = `${unitWord(unit, n)} ${UNIT_WORDS[unit] || ""}`.trim();
        const figure = [h("strong", {}, numberText(n)), h("span", {}, said)];
        return h("li", { class: "tile", dataset: { unit } },
          figureButton(`${numberText(n)} ${said}`, (b) => explainSummaryFigure(userId, `units.${unit}`, `${numberText(n)} ${said}`, b), figure));
      })),
      h("p", { class: "ratings" }, summary.ratings.count ? [
        figureButton(plural(summary.ratings.count, "rating"), (b) => explainSummaryFigure(userId, "ratings.count", `Ratings: ${summary.ratings.count}`, b),
          plural(summary.ratings.count, "rating")), ", ",
        figureButton(`${summary.ratings.average.toFixed(1)} on average`, (b) => explainSummaryFigure(userId, "ratings.average", `Average rating: ${summary.ratings.average}`, b),
          `${summary.ratings.average.toFixed(1)} on average`), "."] : "No ratings yet.",
        summary.last_activity_at ? ` Last activity: ${dateFormat.format(new Date(summary.last_activity_at))}.` : "")),
    h("section", { "aria-labelledby": "activity-heading" },
      h("h2", { id: "activity-heading" }, "Activity"),
      calendar(perDay, start, today),
      weeklyChart(perDay, start, today)));
}
