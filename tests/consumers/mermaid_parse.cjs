// Parse each file named on the command line with the real Mermaid parser (the one GitHub runs).
// Prints one JSON line per file: {"file": ..., "ok": true, "labels": {id: text}} or
// {"file": ..., "ok": false, "error": ...}. Labels are as Mermaid's parser stored them (entity
// codes still in its internal placeholder form, decoded only when it renders).
const { JSDOM } = require("jsdom");
const dom = new JSDOM("<!doctype html><body></body>");
global.window = dom.window;
global.document = dom.window.document;
global.DOMPurify = require("dompurify")(dom.window);
import("mermaid").then(async ({ default: mermaid }) => {
  let failed = false;
  for (const file of process.argv.slice(1)) {
    const text = require("fs").readFileSync(file, "utf8");
    try {
      await mermaid.parse(text);
      const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
      const labels = Object.fromEntries([...diagram.db.getVertices()].map(([id, v]) => [id, v.text]));
      console.log(JSON.stringify({ file, ok: true, labels }));
    } catch (error) {
      failed = true;
      console.log(JSON.stringify({ file, ok: false, error: String(error.message) }));
    }
  }
  process.exit(failed ? 1 : 0);
});
