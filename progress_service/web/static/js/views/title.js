// A title's page: what it is, its report (how many people plan, follow, finished it; ratings), and
// for a title on the user's board, its tracker as it was at a moment of the user's choosing.
import { ApiError, api, query, session } from "../api.js";
import { field, fill, h, momentLabel, peopleWho, plural, progressText, ratingText, STATUSES } from "../dom.js";
import { boardActions, boardStatuses, describeTitle } from "./catalog.js";
import { explainReportFigure, figureButton } from "./explain.js";

function histogram(report) {
  const entries = Object.entries(report.rating_histogram);
  const most = Math.max(1, ...entries.map(([, n]) => n));
  return h("figure", { class: "histogram" },
    h("figcaption", {}, "Ratings given"),
    h("dl", {}, entries.map(([value, count]) => {
      const bar = h("span", { class: "bar" });
      bar.style.setProperty("--share", `${(100 * count) / most}%`);
      return h("div", { class: "row" }, h("dt", {}, `${Number(value)} ★`),
        h("dd", {}, h("span", { class: "track" }, bar), h("span", { class: "n" }, String(count))));
    })));
}

/** "See it as it was on…": the tracker at a time (?at=), and, asked for, as it was known then (as_of too). */
function trackerThen(title) {
  const moment = h("input", { type: "datetime-local", name: "at", step: "1", required: true });
  const knownThen = h("input", { type: "checkbox", name: "known_then" });
  const shown = h("div", { class: "then-state", "aria-live": "polite" });
  const show = async () => {
    if (!moment.value) return;
    const when = new Date(moment.value);
    const at = when.toISOString();
    const asKnown = knownThen.checked ? ", as we knew it then" : "";
    try {
      const tracker = await api("GET", `/api/progress/${session.user.id}/trackers/${title.id}${query({ at, as_of: knownThen.checked ? at : null })}`);
      fill(shown, h("p", {}, h("strong", {}, `On ${momentLabel(when, { seconds: true })}${asKnown}:`)),
        h("dl", {},
          h("div", {}, h("dt", {}, "Status"), h("dd", {}, STATUSES[tracker.status])),
          h("div", {}, h("dt", {}, "Progress"), h("dd", {}, progressText(tracker))),
          h("div", {}, h("dt", {}, "Rating"), h("dd", {}, ratingText(tracker.rating))),
          h("div", {}, h("dt", {}, "Notes"), h("dd", {}, tracker.notes.length
            ? h("ul", { class: "notes" }, tracker.notes.map((note) => h("li", {}, note))) : "none"))));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      fill(shown, h("p", { role: error.status === 404 ? null : "alert" },
        error.status === 404 ? `No tracker yet on that date${asKnown}.` : error.message));
    }
  };
  knownThen.addEventListener("change", show);
  return h("section", { class: "then card", "aria-labelledby": "then-heading" },
    h("h2", { id: "then-heading" }, "Your tracker in the past"),
    h("form", { onsubmit: (event) => { event.preventDefault(); show(); } },
      field("See it as it was on…", moment),
      h("label", { class: "check" }, knownThen, " as we knew it then (leave out what was logged later)"),
      h("button", { type: "submit" }, "Show")),
    shown);
}

export async function render(route) {
  const id = Number(route.id);
  const [title, statuses] = await Promise.all([api("GET", `/api/titles/${id}`), boardStatuses()]);
  const own = title.owner_id !== null;  // one of the user's own titles: nobody else tracks it, so no report
  return h("article", { class: "title-view" },
    h("p", { class: "crumbs" }, own ? h("a", { href: "#/mine" }, "← Your titles") : h("a", { href: "#/catalog" }, "← Catalog")),
    h("h1", {}, title.name),
    h("p", { class: "meta" }, describeTitle(title)),
    title.genres.length ? h("p", { class: "genres" }, title.genres.join(", ")) : null,
    title.description ? h("p", { class: "description" }, title.description) : null,
    boardActions(title, statuses),
    statuses.has(id) ? trackerThen(title) : null,
    own ? null : reportSection(title, await api("GET", `/api/titles/${id}/report`)));
}

/** Who tracks a catalog title, and how they rated it. */
function reportSection(title, report) {
  return h("section", { class: "report card", "aria-labelledby": "report-heading" },
      h("h2", { id: "report-heading" }, "Who tracks it"),
      h("ul", { class: "figures" },
        Object.keys(STATUSES)
          .filter((status) => report.counts[status] || !["paused", "dropped"].includes(status))
          .map((status) => {
            const said = peopleWho(report.counts[status], title.kind, status);
            return h("li", { dataset: { status } }, figureButton(said, (b) => explainReportFigure(title, `counts.${status}`, said, b), said));
          })),
      h("p", { class: "rating-average" }, report.rating_count ? [
        figureButton(`★ ${report.average_rating.toFixed(1)} on average`, (b) => explainReportFigure(title, "average_rating", `Average rating: ${report.average_rating}`, b),
          `★ ${report.average_rating.toFixed(1)}`), " (",
        figureButton(plural(report.rating_count, "rating"), (b) => explainReportFigure(title, "rating_count", plural(report.rating_count, "rating"), b),
          plural(report.rating_count, "rating")), ")"] : "No ratings yet"),
      report.completion_rate !== null ? h("p", {}, figureButton(`${Math.round(report.completion_rate * 100)}% finished it`, (b) => explainReportFigure(title, "completion_rate",
        `${Math.round(report.completion_rate * 100)}% finished it`, b), `${Math.round(report.completion_rate * 100)}%`), " of those who track it finished it.") : null,
      report.average_days_to_complete !== null
        ? h("p", {}, `On average it took ${plural(Math.round(report.average_days_to_complete * 10) / 10, "day")} from start to finish.`) : null,
      histogram(report));
}
