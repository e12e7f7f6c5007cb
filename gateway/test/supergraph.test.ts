// The committed supergraph (schema/supergraph.graphql) must be what the subgraph schemas beside it compose to.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { composeSchemaDirectory } from "../../scripts/compose";
import { DEFAULT_SUPERGRAPH_PATH } from "../src/config";
import { subgraphsOfSupergraph } from "../src/subgraph-source";

test("schema/supergraph.graphql is the composition of schema/*.graphql (run `npm run compose` when this fails)", () => {
  const committed = readFileSync(DEFAULT_SUPERGRAPH_PATH, "utf8");
  expect(composeSchemaDirectory(dirname(DEFAULT_SUPERGRAPH_PATH))).toBe(committed);
  expect(subgraphsOfSupergraph(committed)).toContainEqual({ name: "resources", url: "http://127.0.0.1:4001/graphql" });
});
