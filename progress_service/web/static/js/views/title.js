// A title's page: what it is, and its report (how many people plan, follow, finished it; ratings).
import { api } from "../api.js";
import { h, peopleWho, plural, STATUSES } from "../dom.js";
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

export async function render(route) {
  const id = Number(route.id);
  const [title, report, statuses] = await Promise.all([
    api("GET", `/api/titles/${id}`), api("GET", `/api/titles/${id}/report`), boardStatuses()]);
  return h("article", { class: "title-view" },
    h("p", { class: "crumbs" }, h("a", { href: "#/catalog" }, "← Catalog")),
    h("h1", {}, title.name),
    h("p", { class: "meta" }, describeTitle(title)),
    title.genres.length ? h("p", { class: "genres" }, title.genres.join(", ")) : null,
    title.description ? h("p", { class: "description" }, title.description) : null,
    boardActions(title, statuses),
    h("section", { class: "report card", "aria-labelledby": "report-heading" },
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
      histogram(report)));
}
