// Export: the whole history as CSV or JSON. The API wants the bearer token in a header, so the
// file is fetched here and handed to the browser as a download.
import { api, session } from "../api.js";
import { announce, busy, h } from "../dom.js";

const FORMATS = {
  csv: { label: "Download CSV", type: "text/csv", what: "one row per entry, with a header row; opens in a spreadsheet" },
  json: { label: "Download JSON", type: "application/json", what: "a list of entries, each with its title, its sentence and the tracker's state after it" },
};

function save(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function render() {
  const { id, username } = session.user;
  const day = new Date().toISOString().slice(0, 10);
  return h("section", { class: "export-view" },
    h("h1", {}, "Export"),
    h("p", { class: "lead" }, "Your whole history, every entry with the tracker’s state after it, as a file to keep or to open elsewhere."),
    h("ul", { class: "downloads" }, Object.entries(FORMATS).map(([format, { label, type, what }]) => h("li", { class: "card" },
      h("button", {
        type: "button",
        onclick: (event) => busy(event.target, async () => {
          const answer = await api("GET", `/api/progress/${id}/export?format=${format}`);
          const text = typeof answer === "string" ? answer : JSON.stringify(answer, null, 2);
          save(text, `progress-${username}-${day}.${format}`, type);
          announce(`Downloaded your history as ${format.toUpperCase()}.`);
        }),
      }, label),
      h("p", {}, what)))));
}
