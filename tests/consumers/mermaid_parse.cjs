// Parse each file named on the command line with the real Mermaid parser (the one GitHub runs).
// Prints one JSON line per file: {"file": ..., "ok": true} or {"file": ..., "ok": false, "error": ...}.
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
      console.log(JSON.stringify({ file, ok: true }));
    } catch (error) {
      failed = true;
      console.log(JSON.stringify({ file, ok: false, error: String(error.message) }));
    }
  }
  process.exit(failed ? 1 : 0);
});
