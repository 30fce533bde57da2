// Undo anything: everything logged in a range of time (of one title, or of them all), previewed
// tracker by tracker as a before → after in words, then applied; and the undo of that undo.
import { api } from "../api.js";
import { CUSTOM, STATUSES, busy, dayKey, dayName, field, fill, h, momentLabel, numberText, plural, select, unitsText } from "../dom.js";

const status = (tracker) => STATUSES[tracker.status].toLowerCase();
const rated = (tracker) => (tracker.rating === null ? "none" : `★${Number(tracker.rating)}`);

/** How far a tracker is, to set beside another: "episode 5", "no episodes", "3 plays", "7.75 km". */
function amount(tracker) {
  const { unit, kind } = tracker.title;
  if (tracker.total === null || kind === CUSTOM) return unitsText(tracker.progress, unit);
  return tracker.progress ? `${unit} ${tracker.progress}` : `no ${unit}s`;
}

/** A whole tracker in a few words: "page 10 of 412", "3 plays", "planned", "episode 62 of 62, completed, ★4",
 * "7.75 of 42 km". */
function whole(tracker) {
  const { unit, kind } = tracker.title;
  const done = !tracker.progress ? null
    : tracker.total === null ? unitsText(tracker.progress, unit)
      : kind === CUSTOM ? `${numberText(tracker.progress)} of ${tracker.total} ${unit}`
        : `${unit} ${tracker.progress} of ${tracker.total}`;
  return [done, done && tracker.status === "in_progress" ? null : status(tracker),
    tracker.rating === null ? null : rated(tracker)].filter(Boolean).join(", ");
}

/** What an undo does to one tracker: "Breaking Bad: episode 5 → episode 2; rating ★4 → none",
 * "Dune: no tracker → page 10 of 412", "Bad Guy: 3 plays → removed". */
export function changeWords({ title, before, after }) {
  if (!before) return `${title.name}: no tracker → ${whole(after)}`;
  if (!after) return `${title.name}: ${whole(before)} → removed`;
  const parts = [];
  if (before.status !== after.status) parts.push(`${status(before)} → ${status(after)}`);
  if (before.progress !== after.progress) parts.push(`${amount(before)} → ${amount(after)}`);
  if (before.rating !== after.rating) parts.push(`rating ${rated(before)} → ${rated(after)}`);
  if (before.notes.length !== after.notes.length) {
    parts.push(`${plural(before.notes.length, "note")} → ${plural(after.notes.length, "note")}`);
  } else if (before.notes.join("\n") !== after.notes.join("\n")) parts.push("its notes change");
  if (before.times_completed !== after.times_completed) {
    parts.push(`finished ${plural(before.times_completed, "time")} → ${plural(after.times_completed, "time")}`);
  }
  if (!parts.length) parts.push("when it was started or finished changes");
  return `${title.name}: ${parts.join("; ")}`;
}

const changeList = (answer) => h("ul", { class: "undo-changes" }, answer.changes.map((change) => h("li", {}, changeWords(change))));

const startOfDay = (date, days = 0) => new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);

/** The range the form asks for, in local time: {since, until, words}; a sentence is thrown for a bad one. */
function rangeOf(form) {
  const today = startOfDay(new Date());
  const which = form.get("range");
  if (which === "today") return { since: today, until: startOfDay(today, 1), words: "everything you logged today" };
  if (which === "yesterday") return { since: startOfDay(today, -1), until: today, words: "everything you logged yesterday" };
  if (which === "day") {
    if (!form.get("day")) throw new Error("Pick the day whose entries to undo.");
    const [year, month, date] = form.get("day").split("-").map(Number);
    const day = new Date(year, month - 1, date);
    return { since: day, until: startOfDay(day, 1), words: `everything you logged on ${dayName(day)}` };
  }
  if (!form.get("from") || !form.get("to")) throw new Error("Give both times: from when, and up to when.");
  const since = new Date(form.get("from"));
  const until = new Date(form.get("to"));
  if (until <= since) throw new Error("The end of the range must come after its start.");
  return { since, until, words: `everything you logged from ${momentLabel(since, { seconds: true })} to ${momentLabel(until, { seconds: true })}` };
}

/** The “Undo…” dialog: pick a range (and maybe a title), preview, apply. `titles` maps id → name;
 * `onUndone(answer, saying)` runs after the undo is applied and the dialog closed. */
export function openUndoDialog({ userId, titles, titleId = null, onUndone }) {
  const route = `/api/progress/${userId}/undo`;
  const preview = h("div", { class: "undo-preview" });
  const choice = (value, text, checked = false) => h("label", { class: "choice" },
    h("input", { type: "radio", name: "range", value, checked }), " ", text);
  const dayField = field("Day", h("input", { type: "date", name: "day", max: dayKey(new Date()) }));
  const spanFields = h("div", { class: "span-fields" },
    field("From", h("input", { type: "datetime-local", name: "from", step: "1" })),
    field("To (not included)", h("input", { type: "datetime-local", name: "to", step: "1" })));
  const titleSelect = select("title_id", [["", "All titles"], ...[...titles].sort((a, b) => a[1].localeCompare(b[1]))], titleId || "");
  const form = h("form", { method: "dialog" },
    h("h2", { id: "undo-heading" }, "Undo what you logged"),
    h("p", {}, "Every entry you logged in the range is taken back, as if you had never made it. You see what changes before anything does."),
    h("fieldset", { class: "choices" }, h("legend", {}, "Which entries"),
      choice("today", "Everything I logged today", true),
      choice("yesterday", "Everything I logged yesterday"),
      choice("day", "Everything I logged on a day I pick"),
      choice("span", "Everything I logged between two times")),
    dayField, spanFields,
    field("Of which title", titleSelect),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "quiet", onclick: () => dialog.close() }, "Cancel"),
      h("button", { type: "submit" }, "Preview")),
    preview);
  const dialog = h("dialog", { class: "undo-dialog", "aria-labelledby": "undo-heading" }, form);

  const showFields = () => {
    const which = new FormData(form).get("range");
    dayField.hidden = which !== "day";
    spanFields.hidden = which !== "span";
  };
  // A preview shows one range; changing the range takes it away, so Apply never does something unseen.
  const stale = () => {
    showFields();
    fill(preview);
  };
  form.addEventListener("change", stale);
  form.addEventListener("input", stale);

  const said = (error) => fill(preview, h("p", { class: "dialog-error", role: "alert" }, error.message || String(error)));

  const body = (range, dryRun) => {
    const title = new FormData(form).get("title_id");
    return { since: range.since.toISOString(), until: range.until.toISOString(),
      ...(title ? { title_id: Number(title) } : {}), dry_run: dryRun };
  };
  const ofTitle = () => {
    const title = new FormData(form).get("title_id");
    return title ? ` of ${titles.get(Number(title))}` : "";
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter;
    let range;
    try {
      range = rangeOf(new FormData(form));
    } catch (error) {
      said(error);
      return;
    }
    button.disabled = true;
    try {
      const answer = await api("POST", route, body(range, true));
      if (!answer.entries.length) {
        fill(preview, h("p", { class: "undo-summary", role: "status" }, "Nothing was logged in that range."));
        return;
      }
      const words = `${range.words}${ofTitle()}`;
      const apply = h("button", {
        type: "button",
        onclick: async () => {
          apply.disabled = true;
          try {
            const done = await api("POST", route, body(range, false));
            dialog.close();
            onUndone(done, words);
          } catch (error) {
            apply.disabled = false;
            said(error);
          }
        },
      }, "Apply");
      fill(preview,
        h("p", { class: "undo-summary", role: "status" }, `This takes back ${plural(answer.entries.length, "entry", "entries")}`,
          answer.changes.length ? ":" : "; no tracker would look different."),
        answer.changes.length ? changeList(answer) : null,
        h("div", { class: "actions" }, apply));
    } catch (error) {
      said(error);
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });

  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  showFields();
  dialog.showModal();
}

/** What an applied undo says in the notice: the sentence, the trackers it changed, and a button
 * that undoes the undo (`onTakenBack(answer)` after it is taken back). */
export function undoneNotice(userId, done, words, onTakenBack) {
  const count = plural(done.entries.length, "entry", "entries");
  const takeBack = h("button", {
    type: "button", class: "quiet small",
    onclick: (event) => busy(event.target, async () => {
      await onTakenBack(await api("DELETE", `/api/progress/${userId}/undo/${encodeURIComponent(done.undo_id)}`));
    }),
  }, "Undo this undo");
  return [`Undid ${count}: ${words}.`, done.changes.length ? changeList(done) : null, h("p", {}, takeBack)];
}

/** What the undo of an undo says. */
export function takenBackNotice(back) {
  return [`The undo is undone: ${back.entries.length === 1 ? "that entry counts" : `those ${back.entries.length} entries count`} again.`,
    back.changes.length ? changeList(back) : null];
}
