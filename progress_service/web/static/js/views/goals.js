// Goals: each with its current period as a bar, "on track" or "behind" in words (and colour), the
// periods before it, a form to set one ("Read 20 books in 2027"), and changing or deleting one.
import { api, session } from "../api.js";
import { CUSTOM, KINDS, UNITS, announce, busy, confirmAction, field, go, h, numberText, plural, select, unitWord } from "../dom.js";

const PERIODS = { year: "a year", month: "a month", week: "a week", day: "a day", once: "in all (from a day to a day)" };
const MEASURES = { completions: "Titles finished", units: "Units (pages, episodes…)", entries: "Entries" };
const monthFormat = new Intl.DateTimeFormat(undefined, { month: "short", timeZone: "UTC" });

/** "1 Jan 2027" for a day as the API gives it ("2027-01-01"), as the page names days. */
export function dayText(day) {
  const d = new Date(`${day}T00:00:00Z`);
  return `${d.getUTCDate()} ${monthFormat.format(d)} ${d.getUTCFullYear()}`;
}

/** What a goal counts, for a number: "books", "pages", "entries", "titles finished". */
export function countedWords(goal, count) {
  if (goal.measure === "units") return unitWord(goal.unit, count);
  if (goal.measure === "entries") return count === 1 ? "entry" : "entries";
  if (goal.kind) return plural(count, KINDS[goal.kind].toLowerCase()).replace(/^\S+ /, "");
  return count === 1 ? "title finished" : "titles finished";
}

/** "12 of 20 books". */
export function amountText(goal) {
  return `${numberText(goal.current.value)} of ${goal.target} ${countedWords(goal, goal.target)}`;
}

function pace(goal) {
  const current = goal.current;
  if (current.value >= goal.target) return { word: "met", className: "met" };
  return current.on_track ? { word: "on track", className: "on-track" } : { word: "behind", className: "behind" };
}

function goalCard(goal, userId) {
  const current = goal.current;
  const { word, className } = pace(goal);
  const headingId = `goal-${goal.id}`;
  const bar = h("div", { class: "goal-bar", role: "img", "aria-label": `${amountText(goal)}, ${word}` },
    h("span", { class: "goal-fill" }), h("span", { class: "goal-pace" }));
  bar.querySelector(".goal-fill").style.setProperty("width", `${Math.min(100, current.percent)}%`);
  bar.querySelector(".goal-pace").style.setProperty("left", `${Math.min(100, (100 * current.expected_by_now) / goal.target)}%`);
  const past = goal.history.slice(0, 6);
  return h("article", { class: `card goal ${className}`, "aria-labelledby": headingId, dataset: { goal: String(goal.id) } },
    h("h2", { id: headingId }, goal.name),
    h("p", { class: "goal-amount" }, h("strong", {}, amountText(goal)), " · ",
      h("span", { class: `pace ${className}` }, word)),
    bar,
    h("p", { class: "goal-period" },
      `${dayText(current.period_start)} – ${dayText(current.period_end)}: ${current.percent}% done; `,
      `${current.expected_by_now} ${countedWords(goal, current.expected_by_now)} due by today at an even pace.`),
    past.length ? h("details", {}, h("summary", {}, `Before: met ${goal.history.filter((p) => p.met).length} of ${plural(goal.history.length, "period")}`),
      h("ul", { class: "goal-history" }, past.map((p) => h("li", {},
        `${dayText(p.period_start)} – ${dayText(p.period_end)}: ${p.value} of ${goal.target} ${countedWords(goal, goal.target)}, ${p.met ? "met" : "not met"}`)))) : null,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "quiet", onclick: (event) => edit(goal, userId, event.target) }, "Change"),
      h("button", { type: "button", class: "quiet danger", onclick: (event) => remove(goal, userId, event.target) }, "Delete")));
}

async function edit(goal, userId, button) {
  const values = await confirmAction({
    title: `Change “${goal.name}”`, text: "What it counts follows at once.", confirmLabel: "Save goal",
    fields: [
      field("Name", h("input", { name: "name", value: goal.name, required: true, maxlength: "100" })),
      field("Target", h("input", { name: "target", type: "number", min: "1", value: String(goal.target), required: true })),
      field("Ends on", h("input", { name: "ends_on", type: "date", value: goal.ends_on || "" }), "Leave it empty to go on."),
    ],
  });
  if (!values) return;
  await busy(button, async () => {
    const ends = String(values.get("ends_on"));
    const name = String(values.get("name")).trim();
    const changed = await api("PATCH", `/api/progress/${userId}/goals/${goal.id}`, {
      ...(name === goal.name ? {} : { name }), target: Number(values.get("target")), ends_on: ends || null,
    });
    go("#/goals");
    announce(`Saved “${changed.name}”: ${amountText(changed)}.`);
  });
}

async function remove(goal, userId, button) {
  const ok = await confirmAction({
    title: `Delete the goal “${goal.name}”?`, text: "Your entries stay as they are; only the goal goes.",
    confirmLabel: "Delete goal",
  });
  if (!ok) return;
  await busy(button, async () => {
    await api("DELETE", `/api/progress/${userId}/goals/${goal.id}`);
    go("#/goals");
    announce(`Deleted the goal “${goal.name}”.`);
  });
}

/** The units a goal may count: the catalog's, then those of one's own custom titles ("km"). */
function unitChoices(ownUnits) {
  return [["", "The kind's unit"], ...Object.values(UNITS).map((unit) => [unit, unitWord(unit)]),
    ...ownUnits.filter((unit) => !Object.values(UNITS).includes(unit)).map((unit) => [unit, `${unit} (your own)`])];
}

function addForm(userId, ownUnits) {
  const year = new Date().getUTCFullYear();
  const form = h("form", { class: "card goal-form", "aria-labelledby": "new-goal" },
    h("h2", { id: "new-goal" }, "New goal"),
    field("Count", select("measure", Object.entries(MEASURES), "completions")),
    field("Of kind", select("kind", [["", "Any kind"], ...Object.entries(KINDS),
      ...(ownUnits.length ? [[CUSTOM, "Your own, custom"]] : [])], "book")),
    field("Unit", select("unit", unitChoices(ownUnits), ""), "For units only."),
    field("Target", h("input", { name: "target", type: "number", min: "1", value: "20", required: true })),
    field("Each", select("period", Object.entries(PERIODS), "year")),
    field("Starts on", h("input", { name: "starts_on", type: "date", value: `${year + 1}-01-01`, required: true })),
    field("Ends on", h("input", { name: "ends_on", type: "date" }), "Optional; needed for once."),
    field("Name", h("input", { name: "name", maxlength: "100" }), "Optional: “20 books a year” when left empty."),
    h("button", { type: "submit" }, "Add goal"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = new FormData(form);
    const body = { measure: values.get("measure"), target: Number(values.get("target")), period: values.get("period"),
      starts_on: values.get("starts_on") };
    for (const name of ["kind", "unit", "ends_on", "name"]) {
      const value = String(values.get(name) || "").trim();
      if (value && (name !== "unit" || body.measure === "units")) body[name] = value;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      const made = await api("POST", `/api/progress/${userId}/goals`, body);
      go("#/goals");
      announce(`Added the goal “${made.name}”.`);
    });
  });
  return form;
}

export async function render() {
  const userId = session.user.id;
  const [{ items }, own] = await Promise.all([api("GET", `/api/progress/${userId}/goals`),
    api("GET", `/api/progress/${userId}/titles`)]);
  const ownUnits = [...new Set(own.items.filter((title) => title.kind === CUSTOM).map((title) => title.unit))];
  return h("section", { class: "goals-view" },
    h("h1", {}, "Goals"),
    h("p", { class: "lead" }, "Counted from your log by when things happened: a late entry counts on its day."),
    items.length ? h("div", { class: "goal-list" }, items.map((goal) => goalCard(goal, userId)))
      : h("p", { class: "empty" }, "No goals yet. Set one below: say, 20 books a year."),
    addForm(userId, ownUnits));
}
