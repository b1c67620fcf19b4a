// Check each file named on the command line with Neo4j's Cypher language support (the parser
// behind Neo4j's editors). Prints one JSON line per file with its syntax errors.
import { lintCypherQuery } from "@neo4j-cypher/language-support";
import { readFileSync } from "node:fs";

let failed = false;
for (const file of process.argv.slice(1)) {
  const { diagnostics } = lintCypherQuery(readFileSync(file, "utf8"), {});
  const errors = diagnostics.filter((d) => d.severity === 1).map((d) => d.message);
  failed ||= errors.length > 0;
  console.log(JSON.stringify({ file, ok: errors.length === 0, errors }));
}
process.exit(failed ? 1 : 0);
