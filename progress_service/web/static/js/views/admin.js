// Admin: add, edit and remove catalog titles (the API refuses anyone but an admin).
import { api, query } from "../api.js";
import { CUSTOM, KINDS, announce, busy, confirmAction, field, fill, h, select } from "../dom.js";
import { describeTitle } from "./catalog.js";

/** The kinds a title may be of: a user's own may also be custom, but a made title keeps to its
 * side (a custom title stays custom; the API refuses the change). */
function kindChoices(title, own) {
  const custom = [CUSTOM, "Something of my own"];
  if (!own) return Object.entries(KINDS);
  if (title.id === undefined) return [...Object.entries(KINDS), custom];
  return title.kind === CUSTOM ? [custom] : Object.entries(KINDS);
}

/** A custom title's own unit: a required field while the kind is custom, hidden (and not sent) otherwise. */
function unitField(title, kind) {
  const input = h("input", {
    name: "unit", maxlength: "20", autocomplete: "off", value: title.kind === CUSTOM ? title.unit : "",
  });
  const shown = field("Unit", input, "Your own word for what you count, 1 to 20 characters: km, hour, glass.");
  const sync = () => {
    const custom = kind.value === CUSTOM;
    shown.hidden = !custom;
    input.disabled = !custom;
    input.required = custom;
  };
  kind.addEventListener("change", sync);
  sync();
  return shown;
}

/** The title form's fields, filled from `title` when editing; a user's own title (`own`) has no
 * genres or release date, and may be custom, counted in a unit of the user's words. After a reset
 * of the form, a "change" on its kind shows the fields of the kind it is back to. */
export function titleFields(title = {}, { own = false } = {}) {
  const kind = select("kind", kindChoices(title, own), title.kind || "tv_show");
  return [
    field("Kind", kind),
    own ? unitField(title, kind) : null,
    field("Name", h("input", { name: "name", required: true, value: title.name || "" })),
    field("Creator", h("input", { name: "creator", value: title.creator || "" })),
    own ? null : field("Genres", h("input", { name: "genres", value: (title.genres || []).join(", ") }),
      "Separated by commas, in any case: they are kept in lower case."),
    field("Year", h("input", { name: "year", type: "number", step: "1", value: title.year ?? "" })),
    field("Total units", h("input", { name: "total_units", type: "number", step: "1", min: "1", value: title.total_units ?? "" }),
      own ? "Episodes, pages, tracks or your own unit; leave empty when unknown or endless."
        : "Episodes, pages or tracks; leave empty when unknown (songs)."),
    own ? null : field("Release date", h("input", { name: "release_date", type: "date", value: title.release_date || "" })),
    field("Description", h("textarea", { name: "description", rows: "3" }, title.description || "")),
  ].filter(Boolean);
}

/** The API's title body from the form; empty numbers and dates are null. */
export function titleBody(form, { own = false } = {}) {
  const text = (name) => String(form.get(name) || "").trim();
  const number = (name) => (text(name) === "" ? null : Number(text(name)));
  const body = {
    kind: text("kind"), name: text("name"), creator: text("creator"), year: number("year"),
    total_units: number("total_units"), description: text("description"),
  };
  if (body.kind === CUSTOM) body.unit = text("unit");
  return own ? body : {
    ...body, genres: text("genres").split(",").map((g) => g.trim()).filter(Boolean),
    release_date: text("release_date") || null,
  };
}

/** A listed title's Edit and Remove buttons: `path` is where it is changed and deleted, `list`
 * shows the titles again after either; `own` for a user's own title. */
export function titleActions(title, { path, list, own = false, removeQuestion, removeText, removed }) {
  return h("div", { class: "entry-actions" },
    h("button", {
      type: "button", class: "quiet small", "aria-label": `Edit ${title.name}`,
      onclick: async (event) => {
        const form = await confirmAction({ title: `Edit ${title.name}`, text: "", confirmLabel: "Save title", fields: titleFields(title, { own }) });
        if (!form) return;
        await busy(event.target, async () => {
          const saved = await api("PATCH", path, titleBody(form, { own }));
          await list();
          announce(`Saved ${saved.name}.`);
        });
      },
    }, "Edit"),
    h("button", {
      type: "button", class: "quiet small danger", "aria-label": `Remove ${title.name}`,
      onclick: async (event) => {
        const ok = await confirmAction({ title: removeQuestion, text: removeText, confirmLabel: "Remove title" });
        if (!ok) return;
        await busy(event.target, async () => {
          await api("DELETE", path);
          await list();
          announce(removed);
        });
      },
    }, "Remove"));
}

export async function render() {
  const results = h("div", { class: "results" });
  const search = h("form", { class: "search card", role: "search" },
    field("Find a title", h("input", { type: "search", name: "q" })), h("button", { type: "submit" }, "Find"));

  const list = async () => {
    const q = new FormData(search).get("q").trim();
    const page = await api("GET", `/api/titles${query({ q, sort: q ? "" : "-year", limit: 20 })}`);
    fill(results, h("ul", { class: "titles admin-titles" }, page.items.map((title) => h("li", { class: "title card", dataset: { title: String(title.id) } },
      h("h3", {}, h("a", { href: `#/titles/${title.id}` }, title.name)),
      h("p", { class: "meta" }, describeTitle(title)),
      title.genres.length ? h("p", { class: "genres" }, title.genres.join(", ")) : null,
      titleActions(title, {
        path: `/api/titles/${title.id}`, list, removeQuestion: `Remove ${title.name} from the catalog?`,
        removeText: "Only a title nobody has tracked can be removed.", removed: `Removed ${title.name} from the catalog.`,
      })))),
    page.items.length ? null : h("p", { class: "empty" }, "No title matches."));
  };

  const add = h("form", { class: "card title-form", "aria-labelledby": "add-title" },
    h("h2", { id: "add-title" }, "Add a title"), titleFields(), h("button", { type: "submit" }, "Add title"));
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(add.querySelector("button[type=submit]"), async () => {
      const title = await api("POST", "/api/titles", titleBody(new FormData(add)));
      add.reset();
      search.elements.q.value = title.name;
      await list();
      announce(`Added ${title.name} to the catalog.`);
    });
  });
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(search.querySelector("button"), list);
  });
  await list();
  return h("section", { class: "admin-view" }, h("h1", {}, "Catalog admin"),
    h("div", { class: "columns two" }, add,
      h("section", { "aria-labelledby": "titles-heading" }, h("h2", { id: "titles-heading" }, "Titles"), search, results)));
}
