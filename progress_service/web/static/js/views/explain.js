// Figures explained: a summary's or a report's figure as a button that opens, in a dialog, what
// makes it — the trackers of a summary figure with the entries behind each (in words and dates), or
// a report figure's parts (how many people have each value; no one is named).
import { api, query } from "../api.js";
import { STATUSES, busy, entryInWords, h, numberText, plural, showDetails, unitsText } from "../dom.js";

/** A figure on the page (`label`: what it says, in words) that opens its explanation: `open(button)`
 * shows the dialog, which gives the focus back to the button when it closes. */
export function figureButton(label, open, ...children) {
  return h("button", {
    type: "button", class: "figure", "aria-haspopup": "dialog", "aria-label": `${label}: what makes it`,
    onclick: (event) => { const button = event.currentTarget; busy(button, () => open(button)); },
  }, ...children);
}

/** What one tracker adds to a summary figure, and what leads to the entries behind it, in words. */
function partWords(figure, part) {
  const [group, name] = figure.split(".");
  if (group === "units") return `${unitsText(part.value, name)}, from`;
  if (group === "counts") return `${STATUSES[name].toLowerCase()} since`;
  return `rated ${numberText(part.value)} in`;
}

/** How the parts make the value: "2 trackers in all.", "7 + 6 = 13 episodes.", "(4 + 3.5) / 2 = 3.75 on average." */
function sum(figure, answer) {
  const [group, name] = figure.split(".");
  const values = answer.parts.map((part) => numberText(part.value));
  if (!values.length) return "Nothing makes this figure yet.";
  if (values.length === 1) return group === "units" ? `${unitsText(answer.value, name)}, all of one title.` : "One tracker makes it.";
  if (figure === "ratings.average") return `(${values.join(" + ")}) / ${values.length} = ${numberText(answer.value)} on average.`;
  if (group === "units") return `${values.join(" + ")} = ${unitsText(answer.value, name)}.`;
  return `${plural(answer.value, group === "counts" ? "tracker" : "rating")} in all.`;
}

/** Open the explanation of one figure of the user's summary. */
export async function explainSummaryFigure(userId, figure, title, opener) {
  const answer = await api("GET", `/api/progress/summary/${userId}/explain${query({ figure })}`);
  showDetails(title, opener,
    h("p", { class: "sum" }, sum(figure, answer)),
    answer.parts.length ? h("ul", { class: "parts" }, answer.parts.map((part) => h("li", { class: "part" },
      h("p", {}, h("strong", {}, part.name), ` — ${partWords(figure, part)}`),
      h("ul", { class: "because" }, part.entry_details.map((detail) => h("li", {}, entryInWords(detail))))))) : null);
}

/** Open the explanation of one figure of a title's report. */
export async function explainReportFigure(titleRecord, figure, title, opener) {
  const answer = await api("GET", `/api/titles/${titleRecord.id}/report/explain${query({ figure })}`);
  const unit = titleRecord.unit;
  const people = (count) => plural(count, "person", "people");
  const words = {
    counts: (part) => `${people(part.count)} with ${unitsText(part.value, unit)} done`,
    rating: (part) => `${people(part.count)} gave it ${numberText(part.value)} ★`,
    completion_rate: (part) => `${people(part.count)} ${part.value ? "finished it" : "did not finish it (yet)"}`,
  };
  const say = figure.startsWith("counts.") ? words.counts : figure === "completion_rate" ? words.completion_rate : words.rating;
  const count = answer.parts.reduce((total, part) => total + part.count, 0);
  const weighted = answer.parts.map((part) => `${numberText(part.value)} × ${part.count}`).join(" + ");
  const lead = !answer.parts.length ? "Nobody makes this figure yet."
    : figure === "average_rating" ? (count > 1 ? `(${weighted}) / ${count} = ${numberText(answer.value)} on average.` : "One rating makes it.")
      : figure === "completion_rate" ? `${answer.parts.find((p) => p.value)?.count || 0} of ${count} finished it: ${Math.round(answer.value * 100)}%.`
        : figure === "rating_count" ? `${plural(count, "rating")}, by the rating given:`
          : `${people(count)}, by how far they are:`;
  showDetails(title, opener, h("p", { class: "sum" }, lead),
    answer.parts.length ? h("ul", { class: "parts" }, answer.parts.map((part) => h("li", { class: "part" }, say(part)))) : null);
}
