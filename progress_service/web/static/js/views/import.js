// Import: a file from another service (or another account's export) previewed — the rows, the
// titles it finds and makes, the rows it skips and why, each tracker's before → after — then
// imported; and the imports made, each with an Undo that shows first what it takes back.
import { api, session } from "../api.js";
import { announce, busy, confirmAction, dayName, field, fill, h, momentLabel, plural, select, showError } from "../dom.js";
import { changeWords, takenBackNotice, undoneNotice } from "./undo.js";

// The formats of API.md, as people know them, and the Content-Type each file goes with.
const FORMATS = {
  goodreads: { label: "Goodreads library export (CSV)", type: "text/csv" },
  trakt: { label: "Trakt history (JSON)", type: "application/json" },
  spotify: { label: "Spotify streaming history (JSON)", type: "application/json" },
  "progress-service": { label: "progress-service export (JSON)", type: "application/json" },
};
const formatName = (format) => FORMATS[format]?.label.replace(/ \(.*\)$/, "") || format;
const POLL_MS = 700;  // how often a queued import's progress is asked for

/** When a change started or finished its tracker, in dates: "; finished on Sunday, March 14, 2021". */
function datesWords({ before, after }) {
  if (!after) return "";
  const moved = (field) => after[field] && after[field] !== before?.[field];
  if (moved("completed_at")) return `; finished on ${dayName(after.completed_at)}`;
  if (moved("started_at")) return `; started on ${dayName(after.started_at)}`;
  return "";
}

const changeItems = (changes) => h("ul", { class: "undo-changes" },
  changes.map((change) => h("li", {}, changeWords(change) + datesWords(change))));

const NAMED = 12;  // titles named in a line; a large file says how many more
const titleNames = (titles) => titles.slice(0, NAMED).map((title) => title.name).join(", ")
  + (titles.length > NAMED ? ` and ${titles.length - NAMED} more` : "");

/** What a preview (or an import done) says, part by part. */
function outcome(answer) {
  const skipped = answer.skipped;
  return [
    h("p", { class: "import-summary", role: "status" },
      `${plural(answer.rows, "row")} read: ${answer.dry_run ? "this would log" : "logged"} `
      + `${plural(answer.entries, "entry", "entries")}.`),
    answer.titles_matched.length ? h("p", { class: "import-matched" },
      `Titles found in the catalog or among yours (${answer.titles_matched.length}): ${titleNames(answer.titles_matched)}.`) : null,
    answer.titles_created.length ? h("p", { class: "import-created" },
      `New titles of your own (${answer.titles_created.length}): ${titleNames(answer.titles_created)}.`) : null,
    skipped.length ? [h("h3", {}, `Skipped ${plural(skipped.length, "row")}`),
      h("ul", { class: "import-skipped" }, skipped.map((s) => h("li", {}, `Row ${s.row}: ${s.reason}`)))] : null,
    answer.changes.length ? [h("h3", {}, "Your trackers, before → after"), changeItems(answer.changes)] : null,
  ];
}

export async function render() {
  const userId = session.user.id;
  const route = `/api/progress/${userId}/imports`;
  const preview = h("div", { class: "import-preview" });
  const list = h("div", { class: "imports" });

  const form = h("form", { class: "card import-form", "aria-labelledby": "import-heading" },
    h("h2", { id: "import-heading" }, "Import a file"),
    h("p", {}, "You see what it would do before anything changes. Importing the same rows again adds nothing."),
    field("File", h("input", { type: "file", name: "file", required: true, accept: ".csv,.json,text/csv,application/json" })),
    field("Format", select("format", Object.entries(FORMATS).map(([value, { label }]) => [value, label]), "goodreads")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Preview")),
    preview);
  // A preview shows one file in one format; changing either takes it away, so Import never does something unseen.
  form.addEventListener("change", () => fill(preview));

  const send = (file, format, dryRun) => api("POST", `${route}?format=${encodeURIComponent(format)}&dry_run=${dryRun}`,
    file, { contentType: FORMATS[format].type });

  const landed = async (answer) => {
    fill(preview);
    form.reset();
    await showList();
    announce(`Imported your ${formatName(answer.format)}: ${plural(answer.entries, "entry", "entries")} logged.`,
      ...outcome(answer).slice(1));
  };

  /** A large file is carried out by the job queue: its progress until it lands or fails. */
  const follow = (queued) => new Promise((resolve) => {
    const bar = h("progress", { max: 100, value: 0, "aria-label": "Import progress" });
    const said = h("p", { role: "status" }, `Importing ${plural(queued.rows, "row")}…`);
    fill(preview, h("div", { class: "import-progress" }, said, bar));
    showList().catch(showError);
    const ask = async () => {
      if (!preview.isConnected) return resolve();  // the person went elsewhere: the import goes on without the page
      let found;
      try {
        found = await api("GET", `${route}/${encodeURIComponent(queued.import_id)}`);
      } catch (error) {
        showError(error);
        return resolve();
      }
      if (found.state === "failed") {
        fill(preview, h("p", { class: "dialog-error", role: "alert" }, found.failure));
        await showList();
        return resolve();
      }
      if (found.state === "done") {
        await landed({ ...found, dry_run: false, changes: [] });
        return resolve();
      }
      bar.value = found.progress;
      said.textContent = `Importing ${plural(queued.rows, "row")}… ${found.progress}% done.`;
      setTimeout(ask, POLL_MS);
    };
    setTimeout(ask, POLL_MS);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get("file");
    const format = data.get("format");
    busy(event.submitter, async () => {
      fill(preview, h("p", { role: "status" }, "Reading the file…"));
      const answer = await send(file, format, true).finally(() => fill(preview));
      const apply = h("button", {
        type: "button",
        onclick: () => busy(apply, async () => {
          const done = await send(file, format, false);
          if (done.state === "queued") await follow(done);
          else await landed(done);
        }),
      }, "Import");
      fill(preview, h("h3", {}, "Preview"), outcome(answer),
        answer.entries ? h("div", { class: "actions" }, apply)
          : h("p", { class: "empty" }, "There is nothing new in this file to import."));
    });
  });

  const undo = (item, button) => busy(button, async () => {
    const path = `${route}/${encodeURIComponent(item.import_id)}`;
    const what = `the import of ${momentLabel(item.created_at)}`;
    const planned = await api("DELETE", `${path}?dry_run=true`);
    const count = plural(planned.entries.length, "entry", "entries");
    const ok = await confirmAction({
      title: `Undo ${what}?`,
      text: `This takes back the ${count} it made, and nothing you logged yourself`
        + (planned.changes.length ? ":" : "; no tracker would look different."),
      fields: planned.changes.length ? [changeItems(planned.changes)] : [],
      confirmLabel: "Undo the import",
    });
    if (!ok) return;
    const done = await api("DELETE", path);
    await showList();
    announce(...undoneNotice(userId, done, what, async (back) => {
      await showList();
      announce(...takenBackNotice(back));
    }));
    document.querySelector("#notice button")?.focus();  // taking it back, if it was a mistake, is one key away
  });

  const importLine = (item) => {
    const titles = [...item.titles_matched, ...item.titles_created];
    const state = item.state === "done" ? null : item.state === "failed" ? `Failed: ${item.failure}`
      : `Importing… ${item.progress}% done`;
    return h("li", { class: "card import", dataset: { import: item.import_id } },
      h("h3", {}, `${momentLabel(item.created_at)} · ${formatName(item.format)}`),
      h("p", { class: "meta" }, `${plural(item.entries, "entry", "entries")} from ${plural(item.rows, "row")}`
        + (item.skipped.length ? `, ${plural(item.skipped.length, "row")} skipped` : "")),
      titles.length ? h("p", { class: "import-titles" }, `Titles: ${titleNames(titles)}`) : null,
      state ? h("p", { class: "meta" }, state) : null,
      item.undone_at ? h("p", { class: "meta" }, `Undone ${momentLabel(item.undone_at)}`)
        : item.state === "done" && item.entries ? h("button", {
          type: "button", class: "quiet small", "aria-label": `Undo the import of ${momentLabel(item.created_at)}`,
          onclick: (event) => undo(item, event.currentTarget),
        }, "Undo…") : null);
  };

  const showList = async () => {
    const { items } = await api("GET", route);
    fill(list, items.length ? h("ul", { class: "import-list" }, items.map(importLine))
      : h("p", { class: "empty" }, "You have imported nothing yet."));
  };

  await showList();
  return h("section", { class: "import-view" }, h("h1", {}, "Import"),
    h("p", { class: "lead" }, "Bring your history from Goodreads, Trakt or Spotify, or from another progress-service account."),
    h("div", { class: "columns two" }, form,
      h("section", { "aria-labelledby": "imports-heading" }, h("h2", { id: "imports-heading" }, "Your imports"), list)));
}
