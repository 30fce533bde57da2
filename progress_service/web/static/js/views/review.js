// The year in review: trackers by status at the year's end, what was read, watched and heard,
// titles finished per month as bars, the titles rated highest, the longest run of days with
// entries, and how the goals did.
import { api, session } from "../api.js";
import { STATUSES, go, h, numberText, plural, ratingText, svg, unitWord } from "../dom.js";
import { dayText } from "./goals.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function monthChart(perMonth) {
  const most = Math.max(1, ...perMonth);
  const width = 24;
  const height = 80;
  const chart = svg("svg", {
    viewBox: `0 0 ${12 * width + 20} ${height + 20}`, class: "month-chart", role: "img",
    "aria-label": `Titles finished per month: ${perMonth.map((n, i) => `${MONTHS[i]} ${n}`).join(", ")}`,
  });
  chart.append(svg("line", { x1: "0", x2: String(12 * width + 20), y1: String(height), y2: String(height), class: "baseline" }));
  perMonth.forEach((count, i) => {
    const barHeight = (height - 12) * (count / most);
    chart.append(svg("rect", {
      x: String(10 + i * width), y: String(height - barHeight), width: String(width - 6), height: String(barHeight),
      class: count ? "bar" : "bar none", "data-month": String(i + 1), "data-count": String(count),
    }, svg("title", {}, `${MONTHS[i]}: ${plural(count, "title")} finished`)),
    svg("text", { x: String(10 + i * width), y: String(height + 14), class: "axis" }, MONTHS[i]));
    if (count) chart.append(svg("text", { x: String(12 + i * width), y: String(height - barHeight - 3), class: "axis" }, String(count)));
  });
  return h("figure", { class: "months" }, h("figcaption", {}, h("h3", {}, "Finished per month")), chart);
}

function streakText(streak) {
  if (!streak.days) return "No entries that year.";
  if (streak.days === 1) return `Your longest streak: 1 day, ${dayText(streak.first_day)}.`;
  return `Your longest streak: ${streak.days} days in a row, ${dayText(streak.first_day)} to ${dayText(streak.last_day)}.`;
}

export async function render(route) {
  const userId = session.user.id;
  const thisYear = new Date().getUTCFullYear();
  const year = Number(route.params.get("year")) || thisYear;
  const review = await api("GET", `/api/progress/${userId}/review?year=${year}`);
  const years = Array.from({ length: 6 }, (_, i) => thisYear - i);
  if (!years.includes(year)) years.push(year);
  const picker = h("p", { class: "field inline" }, h("label", { class: "label", for: "review-year" }, "Year"), " ",
    h("select", { id: "review-year", name: "year", onchange: (event) => go(`#/review?year=${event.target.value}`) },
      years.map((y) => h("option", { value: String(y), selected: y === year }, String(y)))));
  const units = Object.entries(review.units).filter(([, n]) => n);
  return h("section", { class: "review-view" },
    h("h1", {}, "Year in review"),
    picker,
    h("p", { class: "lead" }, `${year}: ${plural(review.completions, "title")} finished, ${plural(review.entries, "entry", "entries")}. ${streakText(review.longest_streak)}`),
    h("section", { "aria-labelledby": "review-counts" },
      h("h2", { id: "review-counts" }, "At the end of the year"),
      h("ul", { class: "tiles" }, Object.entries(STATUSES).map(([status, label]) =>
        h("li", { class: "tile", dataset: { status } }, h("strong", {}, String(review.counts[status])), h("span", {}, label))))),
    h("section", { "aria-labelledby": "review-units" },
      h("h2", { id: "review-units" }, "Consumed"),
      units.length ? h("ul", { class: "tiles" }, units.map(([unit, n]) =>
        h("li", { class: "tile", dataset: { unit } }, h("strong", {}, numberText(n)), h("span", {}, unitWord(unit, n)))))
        : h("p", {}, "Nothing logged that year.")),
    monthChart(review.completions_per_month),
    h("section", { "aria-labelledby": "review-rated" },
      h("h2", { id: "review-rated" }, "Rated highest"),
      review.top_rated.length ? h("ol", { class: "top-rated" }, review.top_rated.map((t) =>
        h("li", {}, h("a", { href: `#/titles/${t.title_id}` }, t.name), ` — ${ratingText(t.rating)}`)))
        : h("p", {}, "Nothing rated that year.")),
    h("section", { "aria-labelledby": "review-goals" },
      h("h2", { id: "review-goals" }, "Goals"),
      review.goals_met.length ? h("ul", { class: "review-goals" }, review.goals_met.map((g) =>
        h("li", {}, `${g.name}: met in ${g.met} of ${plural(g.periods, "period")}`)))
        : h("p", {}, "No goals ran that year.")));
}
