// Supergraph composition: committed supergraphs must equal a fresh composition; composition errors are reported clearly.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CompositionError, DEFAULT_SUBGRAPH_PORTS, composeSchemaDirectory, composeSupergraph, defaultSubgraphUrl } from "../../scripts/compose";
import { resolveSubgraphEndpoints, subgraphsOfSupergraph } from "../src/subgraph-source";
import { FIXTURE_SCHEMA_DIR, fixtureSubgraphUrl } from "./helpers";

test("the committed fixture supergraph is what the fixture subgraphs compose to (run the composer when this fails)", () => {
  const committed = readFileSync(join(FIXTURE_SCHEMA_DIR, "supergraph.graphql"), "utf8");
  expect(composeSchemaDirectory(FIXTURE_SCHEMA_DIR, fixtureSubgraphUrl)).toBe(committed);
  expect(subgraphsOfSupergraph(committed)).toEqual([
    { name: "notes", url: "http://notes.invalid/graphql" },
    { name: "places", url: "http://places.invalid/graphql" },
  ]);
});

test("each subgraph has one default URL, listed in one place", () => {
  expect(defaultSubgraphUrl("resources")).toBe("http://127.0.0.1:4001/graphql");
  expect(new Set(Object.values(DEFAULT_SUBGRAPH_PORTS)).size).toBe(Object.keys(DEFAULT_SUBGRAPH_PORTS).length);
  expect(() => defaultSubgraphUrl("unknown")).toThrow('add "unknown" to DEFAULT_SUBGRAPH_PORTS in scripts/compose.ts');
});

test("composition errors are listed with their codes", () => {
  const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
  const a = { name: "a", url: "http://a/graphql", sdl: `${link}\ntype Query { thing: Thing }\ntype Thing @key(fields: "id") { id: ID! size: Int }` };
  const b = { name: "b", url: "http://b/graphql", sdl: `${link}\ntype Thing @key(fields: "id") { id: ID! size: String }` };
  let caught: unknown;
  try {
    composeSupergraph([a, b]);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CompositionError);
  const { messages, message } = caught as CompositionError;
  expect(messages.some((line) => line.startsWith("FIELD_TYPE_MISMATCH:") && line.includes('"Thing.size"'))).toBe(true);
  expect(message).toMatch(/^Composition failed with \d+ error\(s\):\n {2}- /);
});

test("an SDL syntax error names the subgraph file", () => {
  expect(() => composeSupergraph([{ name: "broken", url: "http://x/graphql", sdl: "type Query {" }])).toThrow(/broken\.graphql: Syntax Error/);
  expect(() => composeSupergraph([])).toThrow("no subgraph schemas to compose");
});

test("subgraph URLs from configuration override the composed ones, and unknown names are refused", () => {
  const committed = readFileSync(join(FIXTURE_SCHEMA_DIR, "supergraph.graphql"), "utf8");
  expect(resolveSubgraphEndpoints(committed, { notes: "http://10.0.0.7:4002/graphql" })).toEqual([
    { name: "notes", url: "http://10.0.0.7:4002/graphql" },
    { name: "places", url: "http://places.invalid/graphql" },
  ]);
  expect(() => resolveSubgraphEndpoints(committed, { resources: "http://x/graphql" })).toThrow(
    "Subgraph URL given for resources, but the supergraph has only notes, places",
  );
  expect(() => subgraphsOfSupergraph("type Query { a: Int }")).toThrow("The supergraph has no join__Graph enum");
});
