// Your own titles: a new tracker on a title of one's own (nobody else sees it), and the titles
// one has made, to change or remove.
import { api, session } from "../api.js";
import { announce, busy, fill, h } from "../dom.js";
import { titleActions, titleBody, titleFields } from "./admin.js";
import { describeTitle } from "./catalog.js";

export async function render() {
  const userId = session.user.id;
  const titlesPath = `/api/progress/${userId}/titles`;
  const results = h("div", { class: "results" });

  const list = async () => {
    const { items } = await api("GET", titlesPath);
    fill(results, items.length ? h("ul", { class: "titles own-titles" }, items.map((title) => h("li", {
      class: "title card", dataset: { title: String(title.id) },
    },
      h("h3", {}, h("a", { href: `#/titles/${title.id}` }, title.name)),
      h("p", { class: "meta" }, describeTitle(title)),
      titleActions(title, {
        path: `${titlesPath}/${title.id}`, list, own: true, removeQuestion: `Remove ${title.name}?`,
        removeText: "Only a title you have never tracked can be removed: your timeline keeps every entry.",
        removed: `Removed ${title.name}.`,
      })))) : h("p", { class: "empty" }, "You have made no titles of your own yet."));
  };

  const add = h("form", { class: "card title-form", "aria-labelledby": "new-tracker" },
    h("h2", { id: "new-tracker" }, "New tracker"),
    h("p", {}, "For something that is not in the catalog: only you see it."),
    titleFields({}, { own: true }), h("button", { type: "submit" }, "Start tracking"));
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(add.querySelector("button[type=submit]"), async () => {
      const title = await api("POST", titlesPath, titleBody(new FormData(add), { own: true }));
      await api("POST", "/api/progress/log", { title_id: title.id, status: "planned" });
      add.reset();
      add.elements.kind.dispatchEvent(new Event("change"));
      await list();
      announce(`${title.name} is on your board, planned.`);
    }, { form: add });
  });
  await list();
  return h("section", { class: "mine-view" }, h("h1", {}, "Your own titles"),
    h("div", { class: "columns two" }, add,
      h("section", { "aria-labelledby": "own-titles-heading" }, h("h2", { id: "own-titles-heading" }, "Titles you made"),
        results)));
}
