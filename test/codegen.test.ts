// The committed generated files (subgraphs' resolver types, the tests' and the pages' typed documents) are what `npm run codegen` generates from the schemas and operations.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

// GraphQL Code Generator loads ES-only modules that jest cannot require, so the check runs as the CLI does.
test("the committed resolver types of every subgraph and the typed documents of the tests and the pages are fresh (run `npm run codegen` when this fails)", () => {
  const root = join(__dirname, "..");
  const result = spawnSync(join(root, "node_modules", ".bin", "tsx"), [join(root, "scripts", "codegen.ts"), "--check"], { cwd: root, encoding: "utf8" });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
});
