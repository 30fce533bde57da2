// The timeline: every entry of the user's log, newest first by when it happened, grouped by that day, each with the sentence
// the API gives (or, for one that names another entry, which one in words). Any entry can be
// corrected, retracted, or be the point a tracker is restored to; a retraction, correction or
// rollback can be undone, and so can everything logged in a range (views/undo.js); the timeline then
// reloads in place. Filtered by a title, it is that tracker's own page: its state now and after
// every entry, its passes (each time through), and starting it again.
import { ApiError, api, query, session } from "../api.js";
import {
  AGAIN, CUSTOM, STATUSES, announce, busy, confirmAction, dayKey, dayLabel, field, fill, go, h, momentLabel,
  numberText, progressText, ratingText, select, timeLabel, unitsText, unitWord,
} from "../dom.js";
import { openUndoDialog, takenBackNotice, undoneNotice } from "./undo.js";

const PAGE = 50;
const CHANGES = ["tracker_added", "status_changed", "progress_logged", "rating_set", "rating_cleared", "note_added"];
// The entries that change what another entry did; retracting one undoes it.
const REWRITES = { entry_retracted: "retraction", entry_corrected: "correction", tracker_rolled_back: "rollback" };

function stateText(state) {
  return [state.pass > 1 ? `Pass ${state.pass}` : null, progressText(state), STATUSES[state.status],
    state.rating === null ? "not rated" : `rated ${ratingText(state.rating)}`].filter(Boolean).join(" · ");
}

const dateFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

/** "Pass 1 · Jan 3 – Feb 14, 2026 · 62 of 62 episodes · ★4": a pass in words, ending where the next began. */
function passText(pass, next, tracker) {
  const { unit } = tracker.title;
  const end = pass.completed_at || (next && next.started_at);
  const when = !pass.started_at ? "not started"
    : end ? dateFormat.formatRange(new Date(pass.started_at), new Date(end))
      : `since ${dateFormat.format(new Date(pass.started_at))}`;
  const done = tracker.total === null ? unitsText(pass.progress, unit)
    : `${numberText(pass.progress)} of ${tracker.total} ${unitWord(unit)}`;
  return [`Pass ${pass.pass}`, when, done, pass.rating === null ? null : `★${Number(pass.rating)}`]
    .filter(Boolean).join(" · ");
}

/** The fields of a correction for this entry, and how to read them into the API's change (a custom
 * title's in amounts of up to 2 decimal places). */
function correctionFields(item) {
  const { event, state } = item;
  const { type, data } = event;
  if (type === "progress_logged") {
    const byDelta = data.delta !== null && data.delta !== undefined;
    const { unit, kind } = state.title;
    return {
      fields: [
        field("Change", select("how", [["progress", `Set progress to (${unitWord(unit)} done)`], ["delta", "Add or take away"]], byDelta ? "delta" : "progress")),
        field(kind === CUSTOM ? `Number of ${unit}` : "Number", h("input", {
          name: "amount", type: "number", step: kind === CUSTOM ? "0.01" : "1", required: true,
          value: String(byDelta ? data.delta : data.progress),
        })),
      ],
      read: (form) => ({ [form.get("how")]: Number(form.get("amount")) }),
    };
  }
  if (type === "tracker_added" || type === "status_changed") {
    return {
      fields: [field("Status", select("status", Object.entries(STATUSES), data.status))],
      read: (form) => ({ status: form.get("status") }),
    };
  }
  if (type === "rating_set" || type === "rating_cleared") {
    const ratings = [["", "No rating"], ...Array.from({ length: 10 }, (_, i) => [String((i + 1) / 2), `${(i + 1) / 2} ★`])];
    return {
      fields: [field("Rating", select("rating", ratings, data.rating ?? ""))],
      read: (form) => ({ rating: form.get("rating") ? Number(form.get("rating")) : null }),
    };
  }
  if (type === "note_added") {
    return {
      fields: [field("Note", h("textarea", { name: "note", required: true, rows: "3" }, data.text))],
      read: (form) => ({ note: form.get("note") }),
    };
  }
  return null;
}

/** Entries in words, never by log id or version: "the entry of 14 Nov, 20:00 — Watched episode 5 of 62",
 * and the sentences of entries that name another ("Retracted the entry of …"), looked up as needed. */
function entryWords(userId) {
  const known = new Map();  // log id → timeline item (or null: not in the log)
  const words = new Map();  // log id → {noun, sentence}

  const byId = async (titleId, id) => {
    if (!known.has(id)) {
      const [found] = (await api("GET", `/api/progress/${userId}/history${query({ title_id: titleId, before: id + 1, limit: 1 })}`)).items;
      known.set(id, found && found.event.id === id ? found : null);
    }
    return known.get(id);
  };
  /** The entry a rollback restored to: within one tracker, log ids rise with versions, so it is the
   * oldest of the entries between it and the rollback. */
  const restoredTo = async ({ event }) => {
    const version = event.data.to_version;
    const loaded = [...known.values()].find((item) => item && item.event.title_id === event.title_id && item.event.version === version);
    const back = event.version - version;
    if (loaded || back < 1 || back > 200) return loaded || null;
    const { items } = await api("GET", `/api/progress/${userId}/history${query({ title_id: event.title_id, before: event.id, limit: back })}`);
    const found = items[items.length - 1];
    return found && found.event.version === version ? found : null;
  };
  const target = (item) => byId(item.event.title_id, item.event.data.entry_id);

  /** "the entry of 14 Nov, 20:00 — Watched episode 5 of 62", "the retraction of the entry of …". */
  const noun = async (item, depth = 0) => {
    const { event } = item;
    const kind = REWRITES[event.type];
    if (!kind) return `the entry of ${momentLabel(event.occurred_at)} — ${item.summary}`;
    if (kind === "rollback" || depth > 2) return `the ${kind} of ${momentLabel(event.occurred_at)}`;
    const named = await target(item);
    return `the ${kind} of ${named ? await noun(named, depth + 1) : "an entry no longer in the log"}`;
  };
  const sentence = async (item) => {
    const { event } = item;
    if (event.type === "entry_retracted") {
      const named = await target(item);
      if (!named) return item.summary;
      return `${REWRITES[named.event.type] ? "Undid" : "Retracted"} ${await noun(named)}`;
    }
    if (event.type === "entry_corrected") {
      const named = await target(item);
      // The API's sentence is "Corrected entry N to: …"; what follows "to:" is already in words.
      const to = item.summary.slice(item.summary.indexOf(" to: ") + 1);
      return named ? `Corrected ${await noun(named)} ${to}` : item.summary;
    }
    if (event.type === "tracker_rolled_back" && event.data.to_time) {
      return `Restored to how it was on ${momentLabel(event.data.to_time)}`;
    }
    if (event.type === "tracker_rolled_back" && event.data.to_version) {
      const named = await restoredTo(item);
      return named ? `Restored to how it was right after ${await noun(named)}` : "Restored to how it was at an earlier entry";
    }
    return item.summary;
  };

  return {
    /** Learn the loaded items, and put into words those not yet said. */
    async learn(items) {
      for (const item of items) known.set(item.event.id, item);
      await Promise.all(items.filter((item) => !words.has(item.event.id)).map(async (item) => {
        words.set(item.event.id, { noun: await noun(item), sentence: await sentence(item) });
      }));
    },
    noun: (item) => words.get(item.event.id).noun,
    sentence: (item) => words.get(item.event.id).sentence,
  };
}

export async function render(route) {
  const userId = session.user.id;
  const titleId = Number(route.params.get("title")) || null;
  const board = await api("GET", `/api/progress/${userId}/trackers`);
  const titles = new Map();  // id → name, for the filter
  for (const trackers of Object.values(board)) for (const t of trackers) titles.set(t.title_id, t.title.name);
  if (titleId && !titles.has(titleId)) titles.set(titleId, (await api("GET", `/api/titles/${titleId}`)).name);

  let items = [];
  let nextCursor = null;
  const words = entryWords(userId);
  const root = h("section", { class: "timeline-view" });
  const now = h("div", { class: "now" });
  const list = h("div", { class: "timeline" });
  const more = h("p", { class: "more" });

  // In the order things happened, newest first: a late entry takes its place among its days.
  const load = async ({ cursor, limit = PAGE } = {}) => {
    const page = await api("GET", `/api/progress/${userId}/history${query({ title_id: titleId, order: "occurred", limit, cursor })}`);
    nextCursor = page.next_cursor;
    await words.learn(page.items);
    return page.items;
  };

  /** Its passes, and the button that starts the next one. */
  const passesCard = (tracker, passes) => {
    const { title } = tracker;
    const again = AGAIN[title.kind] || "Start again";
    const next = tracker.pass + 1;
    return h("section", { class: "passes card", "aria-labelledby": "passes-heading" },
      h("h2", { id: "passes-heading" }, "Passes"),
      h("ol", { class: "pass-list" }, passes.map((pass, i) => h("li", { dataset: { pass: String(pass.pass) } },
        passText(pass, passes[i + 1], tracker)))),
      h("button", {
        type: "button", class: "quiet", "aria-label": `${again} ${title.name}: start pass ${next}`,
        onclick: async (e) => {
          const ok = await confirmAction({
            title: `${again} ${title.name}?`,
            text: `Start again from the beginning: pass ${next} begins now, at ${unitsText(0, title.unit)}, in progress. The passes so far stay here and in the timeline.`,
            confirmLabel: `Start pass ${next}`,
          });
          if (!ok) return;
          await busy(e.target, async () => {
            await api("POST", "/api/progress/log", { title_id: title.id, restart: true });
            await refresh(`Started ${title.name} again: pass ${next}, in progress.`);
          });
        },
      }, again));
  };

  /** The tracker now, above its own timeline. */
  const drawNow = async () => {
    if (!titleId) return;
    try {
      const path = `/api/progress/${userId}/trackers/${titleId}`;
      const [tracker, passes] = await Promise.all([api("GET", path), api("GET", `${path}/passes`)]);
      fill(now, h("p", { class: "card now-state" }, h("strong", {}, "Now: "), stateText(tracker)),
        passesCard(tracker, passes.items));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      fill(now, h("p", { class: "card now-state" }, h("strong", {}, "Now: "), "not on your board"));
    }
  };

  /** Reload the newest entries (as many as are shown, and what the action added), then redraw. */
  const refresh = async (said, ...more) => {
    items = await load({ limit: Math.min(200, Math.max(PAGE, items.length + 1)) });
    await drawNow();
    draw();
    announce(said, ...more);
    list.querySelector(".entry")?.focus();
  };

  /** "Undo this retraction" (correction, rollback): retracting it makes the tracker re-fold without it. */
  const undoButton = (item) => {
    const { event, title } = item;
    const kind = REWRITES[event.type];
    const noun = words.noun(item);
    return h("button", {
      type: "button", class: "quiet small", "aria-label": `Undo this ${kind}: ${words.sentence(item)}`,
      onclick: async (e) => {
        const ok = await confirmAction({
          title: `Undo ${noun}?`,
          text: `“${words.sentence(item)}” (${title.name}). ${title.name} will be as if this ${kind} had never been made; the timeline keeps both entries.`,
          confirmLabel: `Undo ${kind}`,
        });
        if (!ok) return;
        await busy(e.target, async () => {
          await api("DELETE", `/api/progress/log/${event.id}`);
          await refresh(`Undid ${noun}.`);
        });
      },
    }, `Undo this ${kind}`);
  };

  const actions = (item, { retracted, newest }) => {
    const { event, title } = item;
    const buttons = [];
    const isChange = CHANGES.includes(event.type) && !retracted;
    const correction = isChange ? correctionFields(item) : null;
    if (correction) {
      buttons.push(h("button", {
        type: "button", class: "quiet small", "aria-label": `Correct ${words.noun(item)}`,
        onclick: async (e) => {
          const form = await confirmAction({
            title: `Correct ${words.noun(item)}?`,
            text: `“${item.summary}” (${title.name}). The tracker will count it as the change you give here; the entry itself stays in the history.`,
            confirmLabel: "Correct entry", fields: correction.fields,
          });
          if (!form) return;
          await busy(e.target, async () => {
            await api("PUT", `/api/progress/log/${event.id}`, correction.read(form));
            await refresh(`Corrected ${words.noun(item)}.`);
          });
        },
      }, "Correct"));
    }
    if (isChange || (["tracker_removed", "pass_started"].includes(event.type) && !retracted)) {
      buttons.push(h("button", {
        type: "button", class: "quiet small", "aria-label": `Retract ${words.noun(item)}`,
        onclick: async (e) => {
          const ok = await confirmAction({
            title: `Retract ${words.noun(item)}?`,
            text: `“${item.summary}” (${title.name}). The tracker will be as if it never happened; the timeline keeps both entries.`,
            confirmLabel: "Retract entry",
          });
          if (!ok) return;
          await busy(e.target, async () => {
            await api("DELETE", `/api/progress/log/${event.id}`);
            await refresh(`Retracted ${words.noun(item)}: ${title.name} is as if it never happened.`);
          });
        },
      }, "Retract"));
    }
    if (REWRITES[event.type] && !retracted) buttons.push(undoButton(item));
    if (!newest) {
      buttons.push(h("button", {
        type: "button", class: "quiet small", "aria-label": `Restore ${title.name} to ${words.noun(item)}`,
        onclick: async (e) => {
          const ok = await confirmAction({
            title: `Restore ${title.name} to here?`,
            text: `It goes back to how it was when ${words.noun(item)} happened, counting everything known now (corrections, retractions, entries logged late). Later entries stay in the timeline.`,
            confirmLabel: "Restore tracker",
          });
          if (!ok) return;
          await busy(e.target, async () => {
            const tracker = await api("POST", `/api/progress/${userId}/trackers/${title.id}/rollback`, { to_time: event.occurred_at });
            await refresh(`Restored ${title.name}: now ${stateText(tracker)}.`);
          });
        },
      }, "Restore to here"));
    }
    return buttons.length ? h("div", { class: "entry-actions" }, buttons) : null;
  };

  function draw() {
    const newest = new Map();  // title id → its latest entry loaded (by when it happened)
    for (const { event } of items) {
      if (!newest.has(event.title_id)) newest.set(event.title_id, event.id);
    }
    const days = [];
    for (const item of items) {
      const key = dayKey(item.event.occurred_at);
      if (!days.length || days[days.length - 1].key !== key) days.push({ key, items: [] });
      days[days.length - 1].items.push(item);
    }
    fill(list, (items.length ? days.map((day) => h("section", { class: "day", "aria-labelledby": `day-${day.key}` },
      h("h2", { id: `day-${day.key}` }, dayLabel(day.items[0].event.occurred_at)),
      h("ol", { class: "entries" }, day.items.map((item) => {
        const { event } = item;
        // What later entries did to it, as the API says (on whatever page they stand).
        const isRetracted = item.retracted_by !== null;
        const isCorrected = item.corrected_by !== null && !isRetracted;
        const isUndone = isRetracted && REWRITES[event.type];  // a retraction, correction or rollback taken back
        return h("li", { class: `entry${isRetracted ? " retracted" : ""}`, tabindex: "-1", dataset: { entry: String(event.id), type: event.type } },
          h("time", { datetime: event.occurred_at }, timeLabel(event.occurred_at)),
          h("div", { class: "what" },
            titleId ? null : h("a", { class: "entry-title", href: `#/timeline?title=${event.title_id}` }, item.title.name),
            h("p", { class: "sentence" }, words.sentence(item),
              isRetracted ? h("span", { class: "badge" }, isUndone ? "undone" : "retracted") : null,
              isCorrected ? h("span", { class: "badge" }, "corrected") : null),
            titleId ? h("p", { class: "state" }, "After it: ",
              event.type === "tracker_removed" ? "removed from the board" : stateText(item.state)) : null,
            actions(item, { retracted: isRetracted, newest: newest.get(event.title_id) === event.id })));
      })))) : [h("p", { class: "empty" }, titleId ? "No entries for this title yet." : "No entries yet: your timeline starts when you add something to your board.")]));
    fill(more, nextCursor ? h("button", {
      type: "button", class: "quiet",
      onclick: (e) => busy(e.target, async () => {
        const shown = items.length;
        items = items.concat(await load({ cursor: nextCursor }));
        draw();
        list.querySelectorAll(".entry")[shown]?.focus();
      }),
    }, "Load older entries") : null);
  }

  const filter = select("title", [["", "All titles"], ...[...titles].sort((a, b) => a[1].localeCompare(b[1]))], titleId || "", {
    onchange: (event) => go(event.target.value ? `#/timeline?title=${event.target.value}` : "#/timeline"),
  });
  /** After an undo of a range: the timeline anew, and a notice whose button (focused, the likely next
   * step) undoes the undo. */
  const onUndone = (done, said) => busy(null, async () => {
    await refresh(...undoneNotice(userId, done, said, (back) => refresh(...takenBackNotice(back))));
    document.querySelector("#notice button")?.focus();
  });

  items = await load();
  await drawNow();
  draw();
  fill(root,
    h("h1", {}, titleId ? `Timeline of ${titles.get(titleId)}` : "Timeline"),
    h("div", { class: "timeline-tools" },
      h("form", { class: "filter", onsubmit: (e) => e.preventDefault() }, field("Show entries of", filter)),
      h("button", { type: "button", class: "quiet", onclick: () => openUndoDialog({ userId, titles, titleId, onUndone }) }, "Undo…")),
    titleId ? h("p", { class: "crumbs" }, h("a", { href: "#/timeline" }, "← All titles")) : null,
    now, list, more);
  return root;
}
