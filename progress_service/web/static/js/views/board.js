// The board: what comes out soon and what to go on with, then the user's trackers in columns by
// status. +1 (on a custom title, an amount of its unit: 5.25 km), the status menu and the stars
// change the card at once, then take the tracker the API answers with (which may move it to another
// column).
import { api, session } from "../api.js";
import {
  CUSTOM, STATUSES, announce, busy, confirmAction, field, fieldSentence, fill, h, kindText, nextUnitText, numberText,
  progressBar, releaseDateText, select, showError, showFieldError, starRating,
} from "../dom.js";

const COLUMNS = ["planned", "in_progress", "completed"];
const FOLDED = ["paused", "dropped"];

export async function render() {
  const userId = session.user.id;
  const trackers = new Map();  // title id → tracker, the board's model
  const answer = await api("GET", `/api/progress/${userId}/trackers`);
  for (const status of [...COLUMNS, ...FOLDED]) for (const tracker of answer[status]) trackers.set(tracker.title_id, tracker);

  const root = h("section", { class: "board-view" });
  const trackerPath = (titleId) => `/api/progress/${userId}/trackers/${titleId}`;

  // "Upcoming": the titles still to come out, with their dates; "Up next": what to go on with.
  const upcomingList = h("div", {});
  const upNextList = h("div", {});
  const lists = async () => {
    const [upcoming, upNext] = await Promise.all([
      api("GET", `/api/progress/${userId}/upcoming`), api("GET", `/api/progress/${userId}/up-next`)]);
    fill(upcomingList, upcoming.items.length ? h("ul", { class: "soon" }, upcoming.items.map((tracker) =>
      h("li", {},
        h("a", { href: `#/titles/${tracker.title_id}` }, tracker.title.name), " — ",
        h("span", { class: "when" }, `comes out on ${releaseDateText(tracker.release_date)}`))))
      : h("p", { class: "empty" }, "Nothing you track is still to come out."));
    fill(upNextList, upNext.items.length ? h("ul", { class: "soon" }, upNext.items.map((tracker) =>
      h("li", {},
        h("a", { href: `#/titles/${tracker.title_id}` }, tracker.title.name), " — ",
        h("span", { class: "next" }, tracker.next_unit ? `next: ${nextUnitText(tracker.next_unit)}`
          : STATUSES[tracker.status]))))
      : h("p", { class: "empty" }, "Nothing planned or in progress."));
  };
  const refreshLists = () => lists().catch(showError);

  /** Take the API's tracker unless a newer one is already shown (answers may cross). */
  const settle = (tracker) => {
    const shown = trackers.get(tracker.title_id);
    if (!shown || tracker.version >= (shown.confirmedVersion ?? shown.version)) {
      trackers.set(tracker.title_id, { ...tracker, confirmedVersion: tracker.version });
    }
    draw();
    refreshLists();
  };

  /** Show `change` on the card now and send `request`. When the card's last request is answered,
   * show the tracker the API holds (after a refusal too, with the API's sentence). */
  const pending = new Map();  // title id → requests not answered yet
  const change = async (tracker, preview, request, refused = showError) => {
    const id = tracker.title_id;
    const before = trackers.get(id);
    trackers.set(id, { ...before, ...preview });
    draw();
    pending.set(id, (pending.get(id) || 0) + 1);
    let answer = null;
    try {
      answer = await request();
    } catch (error) {
      refused(error);
    }
    pending.set(id, pending.get(id) - 1);
    if (pending.get(id) > 0) return;  // a later click is on its way; its answer is the one to show
    try {
      settle(answer || await api("GET", trackerPath(id)));
    } catch {
      trackers.set(id, before);
      draw();
    }
  };

  /** Add `delta` units to the tracker, then show it as the API holds it. */
  const logged = (tracker, delta, refused) => change(tracker, { progress: Number(numberText(tracker.progress + delta)) },
    async () => {
      await api("POST", "/api/progress/log", { title_id: tracker.title_id, delta });
      return api("GET", trackerPath(tracker.title_id));
    }, refused);

  // A custom card's amount the API refused (or that was not one), shown beside its field until the next try.
  const problems = new Map();  // title id → {amount, sentence}

  /** "Add km": a custom tracker's amount, decimals allowed (the API says what it refuses, beside the field). */
  const amountForm = (tracker, full) => {
    const { title } = tracker;
    const { unit } = title;
    const problem = problems.get(title.id);
    const input = h("input", {
      type: "number", name: "amount", step: "0.01", min: "0", inputmode: "decimal", disabled: full,
      value: problem ? problem.amount : "", dataset: { control: "amount" },
    });
    const said = h("span", {});
    const button = h("button", {
      type: "submit", class: "plus", disabled: full, dataset: { control: "log" },
      title: full ? `All ${tracker.total} ${unit} done` : null,
    }, said, h("span", { class: "visually-hidden" }, ` of ${title.name}`));
    const say = () => { said.textContent = input.value ? `Log ${input.value} ${unit}` : `Log ${unit}`; };
    input.addEventListener("input", say);
    say();
    // The browser does not judge the amount (novalidate): the API does, in its own words.
    const form = h("form", { class: "amount", novalidate: true },
      field([`Add ${unit}`, h("span", { class: "visually-hidden" }, ` to ${title.name}`)], input), button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const amount = input.value;
      problems.delete(title.id);
      if (amount === "" || Number(amount) === 0) {  // nothing to send: adding nothing changes nothing
        problems.set(title.id, { amount, sentence: `Give how many ${unit} to add, such as 5.25.` });
        draw();
        return;
      }
      logged(tracker, Number(amount), (error) => problems.set(title.id, { amount, sentence: fieldSentence(error, "delta") }));
    });
    if (problem) showFieldError(input, problem.sentence);
    return form;
  };

  const card = (tracker) => {
    const { title } = tracker;
    const { unit } = title;
    const full = tracker.total !== null && tracker.progress >= tracker.total;
    const custom = title.kind === CUSTOM;
    const plus = custom ? null : h("button", {
      type: "button", class: "plus", dataset: { control: "plus" }, disabled: full,
      "aria-label": `+1 ${unit} of ${title.name}`,
      title: full ? `All ${tracker.total} ${unit}s done` : `Log one more ${unit}`,
      onclick: () => logged(tracker, 1),
    }, `+1 ${unit}`);
    const status = select("status", Object.entries(STATUSES), tracker.status, {
      dataset: { control: "status" },
      onchange: (event) => {
        const value = event.target.value;
        change(tracker, { status: value }, () => api("PUT", trackerPath(title.id), { status: value }));
      },
    });
    const stars = starRating(tracker.rating, (rating) => {
      change(tracker, { rating }, () => api("PUT", trackerPath(title.id), { rating }));
    }, { label: `Your rating of ${title.name}` });
    const remove = h("button", {
      type: "button", class: "quiet small", dataset: { control: "remove" },
      onclick: async (event) => {
        const ok = await confirmAction({
          title: `Remove ${title.name} from your board?`,
          text: "Its history stays in your timeline, and you can add it again from the catalog.",
          confirmLabel: "Remove",
        });
        if (!ok) return;
        await busy(event.target, async () => {
          await api("DELETE", trackerPath(title.id));
          trackers.delete(title.id);
          draw();
          refreshLists();
          announce(`Removed ${title.name} from your board.`);
        });
      },
    }, "Remove");
    return h("li", { class: "tracker card", dataset: { title: String(title.id), status: tracker.status } },
      h("h3", {}, h("a", { href: `#/titles/${title.id}` }, title.name)),
      h("p", { class: "kind" }, kindText(title)),
      progressBar(tracker),
      custom ? amountForm(tracker, full) : null,
      h("div", { class: "controls" }, plus, h("label", { class: "inline" }, h("span", { class: "visually-hidden" },
        `Status of ${title.name}`), status)),
      stars,
      h("p", { class: "card-links" }, h("a", { href: `#/timeline?title=${title.id}` }, "Timeline"), remove));
  };

  // The board's frame is built once; a redraw refills it and reuses every card whose look did not
  // change, so a click that lands while an answer redraws the board is never lost.
  const cards = new Map();  // title id → {look, element}
  const cardFor = (tracker) => {
    const look = JSON.stringify([tracker.status, tracker.progress, tracker.total, tracker.rating, tracker.title,
      problems.get(tracker.title_id)]);
    const cached = cards.get(tracker.title_id);
    if (cached && cached.look === look) return cached.element;
    const element = card(tracker);
    cards.set(tracker.title_id, { look, element });
    return element;
  };
  const sections = new Map();
  const section = (status) => {
    const id = `column-${status}`;
    const count = h("span", { class: "count" });
    const body = h("div", {});
    sections.set(status, { count, body });
    return h("section", { class: "column", "aria-labelledby": id, dataset: { status } },
      h("h2", { id }, STATUSES[status], " ", count), body);
  };
  const emptyBoard = h("p", { class: "empty-board" }, "Your board is empty. Find something to watch, read or hear in the ",
    h("a", { href: "#/catalog" }, "catalog"), ".");
  const foldedSummary = h("summary", {});
  fill(root,
    h("h1", {}, "Your board"),
    h("div", { class: "columns two soon-lists" },
      h("section", { class: "upcoming", "aria-labelledby": "upcoming-heading" },
        h("h2", { id: "upcoming-heading" }, "Upcoming"), upcomingList),
      h("section", { class: "up-next", "aria-labelledby": "up-next-heading" },
        h("h2", { id: "up-next-heading" }, "Up next"), upNextList)),
    emptyBoard,
    h("div", { class: "board" }, COLUMNS.map(section)),
    h("details", { class: "folded" }, foldedSummary, h("div", { class: "board two" }, FOLDED.map(section))));

  function draw() {
    // Keep the keyboard where it was: the same control of the same card, wherever the card went.
    const focused = document.activeElement;
    const focusCard = root.contains(focused) ? focused.closest("[data-title]")?.dataset.title : null;
    const focusControl = focused?.dataset?.control || (focused?.type === "radio" ? `radio:${focused.value}` : null);
    emptyBoard.hidden = trackers.size > 0;
    for (const [titleId] of cards) if (!trackers.has(titleId)) cards.delete(titleId);
    let folded = 0;
    for (const [status, { count, body }] of sections) {
      const here = [...trackers.values()].filter((t) => t.status === status)
        .sort((a, b) => (b.updated_at || "").localeCompare(a.updated_at || "") || a.title.name.localeCompare(b.title.name));
      if (FOLDED.includes(status)) folded += here.length;
      count.textContent = `(${here.length})`;
      fill(body, here.length ? h("ul", { class: "cards" }, here.map(cardFor)) : h("p", { class: "empty" }, "Nothing here."));
    }
    foldedSummary.textContent = `Paused and dropped (${folded})`;
    if (focusCard && focusControl && document.activeElement !== focused) {
      const again = root.querySelector(`[data-title="${focusCard}"]`);
      const control = focusControl.startsWith("radio:")
        ? again?.querySelector(`input[type=radio][value="${focusControl.slice(6)}"]`)
        : again?.querySelector(`[data-control="${focusControl}"]`);
      if (control) {
        if (control.closest("details")) control.closest("details").open = true;
        control.focus();
      }
    }
  }

  draw();
  await lists();
  return root;
}
