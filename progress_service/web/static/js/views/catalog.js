// The catalog: search by title, filter by genre and kind, sort; put a title on the board as
// planned, or start it.
import { api, query, session } from "../api.js";
import { KINDS, STATUSES, announce, busy, field, fill, h, kindText, plural, select, unitsText } from "../dom.js";

const SORTS = [["name", "Name"], ["-year", "Newest first"], ["-rating", "Best rated"], ["-popularity", "Most tracked"]];
const PAGE = 20;

/** A title's status on the user's board, by title id. */
export async function boardStatuses() {
  const board = await api("GET", `/api/progress/${session.user.id}/trackers`);
  const statuses = new Map();
  for (const [status, trackers] of Object.entries(board)) for (const t of trackers) statuses.set(t.title_id, status);
  return statuses;
}

/** "On your board: Planned", or the buttons that put the title there. */
export function boardActions(title, statuses) {
  const box = h("div", { class: "board-actions" });
  const show = () => {
    const status = statuses.get(title.id);
    if (status) {
      fill(box, h("p", { class: "on-board" }, "On your board: ", h("strong", {}, STATUSES[status]), " · ",
        h("a", { href: `#/timeline?title=${title.id}` }, "timeline")));
      return;
    }
    const add = (status, label, aria, said) => h("button", {
      type: "button", "aria-label": aria, class: status === "planned" ? "quiet" : null,
      onclick: (event) => busy(event.target, async () => {
        await api("POST", "/api/progress/log", { title_id: title.id, status });
        statuses.set(title.id, status);
        show();
        announce(said);
      }),
    }, label);
    fill(box,
      add("planned", "Plan it", `Add ${title.name} to your board as planned`, `Added ${title.name} to your board as planned.`),
      add("in_progress", "Start it", `Start ${title.name}`, `Started ${title.name}: it is on your board, in progress.`));
  };
  show();
  return box;
}

/** "Book · Frank Herbert · 1965 · 412 pages", "Counted in km · 42 km". */
export function describeTitle(title) {
  return [kindText(title), title.creator, title.year,
    title.total_units ? unitsText(title.total_units, title.unit) : null].filter((x) => x !== null && x !== "").join(" · ");
}

export function averageRating(title) {
  return title.rating_count
    ? `★ ${title.average_rating.toFixed(1)} (${plural(title.rating_count, "rating")})`
    : "No ratings yet";
}

export async function render(route) {
  const params = route.params;
  const [genres, statuses] = await Promise.all([api("GET", "/api/genres"), boardStatuses()]);
  const form = h("form", { class: "search card", role: "search" },
    field("Title", h("input", { type: "search", name: "q", value: params.get("q") || "", placeholder: "e.g. Breaking Bad" })),
    field("Genre", select("genre", [["", "Any genre"], ...genres.items.map((g) => [g.name, `${g.name} (${g.count})`])], params.get("genre"))),
    field("Kind", select("kind", [["", "Any kind"], ...Object.entries(KINDS)], params.get("kind"))),
    field("Sort", select("sort", SORTS, params.get("sort") || "name")),
    h("button", { type: "submit" }, "Search"));
  const results = h("div", { class: "results", "aria-live": "polite" });

  let latest = 0;  // a search sent later wins, whichever answer comes first
  const search = async (offset) => {
    const values = Object.fromEntries(new FormData(form));
    const filters = { q: values.q.trim(), genre: values.genre, kind: values.kind, sort: values.sort === "name" ? "" : values.sort };
    const ticket = ++latest;
    const page = await api("GET", `/api/titles${query({ ...filters, limit: PAGE, offset: offset || "" })}`);
    if (ticket !== latest) return;
    // The address keeps the search, so a reload or a shared link shows the same results.
    history.replaceState(null, "", `#/catalog${query({ ...filters, offset: offset || "" })}`);
    fill(results,
      h("p", { class: "count" }, page.total
        ? `Showing ${page.offset + 1}–${page.offset + page.items.length} of ${plural(page.total, "title")}`
        : "No title matches. Try fewer words or another genre."),
      h("ol", { class: "titles" }, page.items.map((title) => h("li", { class: "title card", dataset: { title: String(title.id) } },
        h("h2", {}, h("a", { href: `#/titles/${title.id}` }, title.name)),
        h("p", { class: "meta" }, describeTitle(title)),
        title.genres.length ? h("p", { class: "genres" }, title.genres.join(", ")) : null,
        h("p", { class: "rating-average" }, averageRating(title)),
        boardActions(title, statuses)))),
      h("nav", { class: "pages", "aria-label": "Pages of results" },
        page.offset > 0 ? h("button", { type: "button", class: "quiet", onclick: (e) => busy(e.target, () => search(Math.max(0, page.offset - PAGE))) }, "Previous") : null,
        page.offset + page.items.length < page.total
          ? h("button", { type: "button", class: "quiet", onclick: (e) => busy(e.target, () => search(page.offset + PAGE)) }, "Next") : null));
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), () => search(0));
  });
  for (const name of ["genre", "kind", "sort"]) {
    form.elements[name].addEventListener("change", () => busy(null, () => search(0)));
  }
  await search(Number(params.get("offset")) || 0);
  return h("section", { class: "catalog-view" }, h("h1", {}, "Catalog"), form, results);
}
