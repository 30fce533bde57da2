// Small helpers every view shares: building elements, the words of the domain, notices and the
// confirmation dialog. Text always goes in as text nodes, never as HTML.

/** h("button", {class: "x", onclick: f}, "Label") → an element. Children may be strings, nodes,
 * arrays, or null/false (left out). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name in element && !name.includes("-") && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...nodes(children));
  return element;
}

/** Replace an element's children (nested arrays flattened; null, undefined and false left out). */
export function fill(element, ...children) {
  element.replaceChildren(...nodes(children));
  return element;
}

function nodes(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
}

/** Go to a view ("#/board"); going to the one shown shows it again, fresh. */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/** Like h, for SVG elements. */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...nodes(children));
  return element;
}

export const KINDS = { tv_show: "TV show", book: "Book", album: "Album", song: "Song" };
export const STATUSES = {
  planned: "Planned", in_progress: "In progress", completed: "Completed", paused: "Paused", dropped: "Dropped",
};
// The unit each kind is counted in.
export const UNITS = { tv_show: "episode", book: "page", album: "track", song: "play" };
// A user's own title may also be custom: counted in a unit of its owner's words (km, hour, glass),
// in amounts of up to 2 decimal places; the catalog's kinds count whole units.
export const CUSTOM = "custom";
const CATALOG_UNITS = new Set(Object.values(UNITS));
// Starting a title again from the beginning (a new pass), per kind.
export const AGAIN = { tv_show: "Rewatch", book: "Reread", album: "Relisten", song: "Relisten" };
// What people do with each kind, for "1 person is watching it" / "3 people are watching it".
const doing = (verb, ing, past) => ({
  planned: [`plans to ${verb} it`, `plan to ${verb} it`], in_progress: [`is ${ing} it`, `are ${ing} it`],
  completed: [past, past], paused: ["paused it", "paused it"], dropped: ["dropped it", "dropped it"],
});
const VERBS = {
  tv_show: doing("watch", "watching", "watched it"), book: doing("read", "reading", "read it"),
  album: doing("hear", "listening to", "heard it"), song: doing("play", "playing", "played it"),
};

/** "1 person is watching it", "3 people are watching it". */
export function peopleWho(count, kind, status) {
  const [one, many] = (VERBS[kind] || VERBS.tv_show)[status];
  return count === 1 ? `1 person ${one}` : `${count} people ${many}`;
}

/** "1 episode", "2 episodes"; "3 entries" with plural(3, "entry", "entries"). */
export function plural(count, word, words = `${word}s`) {
  return `${count} ${count === 1 ? word : words}`;
}

/** "TV show", "Book"; a custom title by its unit: "Counted in km". */
export function kindText(title) {
  return title.kind === CUSTOM ? `Counted in ${title.unit}` : KINDS[title.kind] || title.kind;
}

/** A number as the API writes it, to at most 2 decimal places: "3", "12.5", "7.75" (units, ratings). */
export function numberText(value) {
  return String(Number(Number(value).toFixed(2)));
}

/** The word for `count` of `unit` ("episode", "pages"; the plural when no count is given). An owner's
 * own unit is said as they gave it, whatever the count ("1 km", "12.5 km"), as the API's sentences say it. */
export function unitWord(unit, count = null) {
  return CATALOG_UNITS.has(unit) && count !== 1 ? `${unit}s` : unit;
}

/** "1 episode", "3 pages", "12.5 km". */
export function unitsText(count, unit) {
  return `${numberText(count)} ${unitWord(unit, count)}`;
}

/** "12 / 50 episodes", "7.75 / 42 km", or "7 plays", "12.5 km" for what has no total. */
export function progressText(tracker) {
  const unit = tracker.title.unit;
  if (tracker.total === null || tracker.total === undefined) return unitsText(tracker.progress, unit);
  return `${numberText(tracker.progress)} / ${tracker.total} ${unitWord(unit)}`;
}

const dateMonthFormat = new Intl.DateTimeFormat(undefined, { month: "short", timeZone: "UTC" });

/** "14 Mar 2027": a date of the calendar (YYYY-MM-DD) as people write it. */
export function releaseDateText(isoDate) {
  const [year, month, day] = isoDate.split("-").map(Number);
  return `${day} ${dateMonthFormat.format(new Date(Date.UTC(year, month - 1, day)))} ${year}`;
}

/** "episode 14 of 62": the unit that comes next. */
export function nextUnitText(next) {
  return `${next.unit} ${next.number} of ${next.total}`;
}

export function progressBar(tracker) {
  const text = progressText(tracker);
  if (tracker.total === null || tracker.total === undefined) {
    return h("p", { class: "progress-text" }, text);
  }
  return h("div", { class: "progress" },
    h("progress", { max: tracker.total, value: tracker.progress, "aria-label": `Progress: ${text}` }),
    h("span", { class: "progress-text" }, text));
}

export function ratingText(rating) {
  return rating === null || rating === undefined ? "not rated" : `${Number(rating).toFixed(1).replace(/\.0$/, "")} / 5`;
}

/** Five stars in half steps: ten radio buttons (arrow keys move, Space picks), drawn as half stars.
 * `onRate(value)` runs a moment after the last change, so arrowing across sends one request. */
let ratingIds = 0;
export function starRating(rating, onRate, { label = "Rating" } = {}) {
  const name = `rating-${++ratingIds}`;
  const group = h("fieldset", { class: "stars" }, h("legend", { class: "visually-hidden" }, label));
  const shown = h("span", { class: "stars-value" }, ratingText(rating));
  let current = rating;
  let timer = null;
  const paint = (value) => {
    for (const half of group.querySelectorAll("label")) half.classList.toggle("on", value !== null && Number(half.dataset.value) <= value);
  };
  for (let step = 1; step <= 10; step++) {
    const value = step / 2;
    const id = `${name}-${step}`;
    const input = h("input", {
      type: "radio", name, id, value: String(value), class: "visually-hidden", checked: rating === value,
      onchange: () => {
        current = value;
        paint(value);
        shown.textContent = ratingText(value);
        clearTimeout(timer);
        timer = setTimeout(() => onRate(value), 350);
      },
    });
    const half = h("label", {
      for: id, class: step % 2 ? "half left" : "half right", dataset: { value: String(value) },
      title: `${value} star${value === 1 ? "" : "s"}`,
      onmouseenter: () => paint(value),
    }, h("span", { "aria-hidden": "true" }, "★"), h("span", { class: "visually-hidden" }, `${value} star${value === 1 ? "" : "s"}`));
    group.append(input, half);
  }
  group.addEventListener("mouseleave", () => paint(current));
  paint(rating);
  return h("div", { class: "rating" }, group, shown);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });  // 20:00, as momentLabel says it

/** The local calendar day of a time, as YYYY-MM-DD. */
export function dayKey(date) {
  const d = new Date(date);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** "Friday, 13 November 2026" in the page's language. */
export function dayName(date) {
  return dayFormat.format(new Date(date));
}

export function dayLabel(date) {
  const key = dayKey(date);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  const prefix = key === dayKey(today) ? "Today, " : key === dayKey(yesterday) ? "Yesterday, " : "";
  return prefix + dayName(date);
}

export function timeLabel(date) {
  return timeFormat.format(new Date(date));
}

const monthFormat = new Intl.DateTimeFormat(undefined, { month: "short" });

/** "14 Nov, 20:00" (local time; with the year when it is not this one): a moment as people name it;
 * with `seconds`, "14 Nov, 20:00:05" when they are not zero (a moment the user typed to the second). */
export function momentLabel(date, { seconds = false } = {}) {
  const d = new Date(date);
  const year = d.getFullYear() === new Date().getFullYear() ? "" : ` ${d.getFullYear()}`;
  const pad = (n) => String(n).padStart(2, "0");
  const second = seconds && d.getSeconds() ? `:${pad(d.getSeconds())}` : "";
  return `${d.getDate()} ${monthFormat.format(d)}${year}, ${pad(d.getHours())}:${pad(d.getMinutes())}${second}`;
}

// Notices: one alert for errors (the API's own sentence), one polite status line for successes.
const notice = () => document.getElementById("notice");

/** The sentences of a field's messages, however deep the API nests them (a list's item: {"0": [...]}). */
function sentences(messages) {
  if (typeof messages === "string") return [messages];
  return Object.values(messages || {}).flatMap(sentences);
}

/** What an error says about one field: the sentences of its messages, or else the error's own. */
export function fieldSentence(error, name) {
  return sentences(error.errors?.[name]).join(" ") || error.message || String(error);
}

/** Show a sentence beside a form's field (below its label), for a screen reader too, until cleared. */
let problemIds = 0;
export function showFieldError(control, text) {
  const box = control.closest(".field") || control;
  const said = box.nextElementSibling?.classList.contains("field-error") ? box.nextElementSibling
    : h("p", { class: "field-error", role: "alert", id: `problem-${++problemIds}` });
  said.textContent = text;
  box.after(said);
  control.setAttribute("aria-invalid", "true");
  control.setAttribute("aria-describedby", said.id);
}

/** Take away the sentences shown beside the fields of `root`. */
export function clearFieldErrors(root) {
  for (const said of root.querySelectorAll(".field-error")) said.remove();
  for (const control of root.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-describedby");
  }
}

/** Show a refusal about fields of `form` beside them; false (nothing shown) when it names none of them. */
function showFormErrors(form, error) {
  const named = Object.keys(error.errors || {});
  const controls = named.map((name) => form.elements.namedItem(name));
  if (!named.length || controls.some((control) => !(control instanceof Element) || control.disabled)) return false;
  named.forEach((name, i) => showFieldError(controls[i], fieldSentence(error, name)));
  clearNotice();
  return true;
}

export function showError(error) {
  const box = notice();
  box.replaceChildren(h("p", {}, error.message || String(error)));
  // Validation problems name each field; a sentence that only repeats the detail is left out.
  const fields = Object.entries(error.errors || {})
    .map(([name, messages]) => [name, sentences(messages).filter((m) => m !== error.message).join(" ")])
    .filter(([, text]) => text);
  if (fields.length) {
    box.append(h("ul", {}, fields.map(([name, text]) => h("li", {}, name.startsWith("_") ? text : `${name}: ${text}`))));
  }
  box.className = "notice error";
  box.hidden = false;
}

/** Say that something was done; `more` (details, a button to take it back) follows the sentence. */
export function announce(message, ...more) {
  const box = notice();
  box.replaceChildren(h("p", {}, message), ...nodes(more));
  box.className = "notice success";
  box.hidden = false;
  document.getElementById("status").textContent = message;
}

export function clearNotice() {
  notice().hidden = true;
  notice().replaceChildren();
}

/** Ask before doing something. Resolves to the dialog's form data (its fields) or null on Cancel. */
export function confirmAction({ title, text, confirmLabel, fields = [] }) {
  const dialog = document.getElementById("confirm");
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-text").textContent = text;
  dialog.querySelector("#confirm-fields").replaceChildren(...fields);
  dialog.querySelector("#confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  // Cancel is a plain button, so Enter in a field submits the dialog's OK, its default button.
  dialog.querySelector("#confirm-cancel").onclick = () => dialog.close("cancel");
  return new Promise((resolve) => {
    const form = dialog.querySelector("form");
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? new FormData(form) : null);
    }, { once: true });
    dialog.showModal();
  });
}

/** Show something to read in a dialog (a figure explained) until Close or Escape; then the focus goes
 * back to `opener`, the control that opened it. */
export function showDetails(title, opener, ...content) {
  const dialog = document.getElementById("explain");
  dialog.querySelector("#explain-title").textContent = title;
  fill(dialog.querySelector("#explain-body"), ...content);
  dialog.addEventListener("close", () => opener?.focus(), { once: true });
  dialog.showModal();
  dialog.querySelector("#explain-close").focus();
}

/** "the entry of 14 Nov, 20:00 — Watched episode 5 of 62": an entry in words, never by its log id. */
export function entryInWords(detail) {
  return `the entry of ${momentLabel(detail.occurred_at)} — ${detail.summary}`;
}

/** A labelled field: h("label") around the text and the control, so a click on the words focuses it. */
export function field(labelText, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "label" }, labelText), control,
    hint ? h("small", {}, hint) : null);
}

export function select(name, options, selected, props = {}) {
  return h("select", { name, ...props },
    options.map(([value, text]) => h("option", { value, selected: String(value) === String(selected ?? "") }, text)));
}

/** Run an API call from a button: it is disabled meanwhile, and an error shows the API's sentence;
 * one about fields of `form` beside those fields. */
export async function busy(button, work, { form = null } = {}) {
  if (button) button.disabled = true;
  if (form) clearFieldErrors(form);
  try {
    return await work();
  } catch (error) {
    if (!(form && showFormErrors(form, error))) showError(error);
    return undefined;
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}
