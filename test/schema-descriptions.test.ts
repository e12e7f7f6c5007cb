// Every subgraph's SDL (and the gateway's subscriptions) describes every type, field, argument and enum value in Japanese and English.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Kind, parse } from "graphql";
import type { DefinitionNode, StringValueNode } from "graphql";

const SCHEMA_DIR = join(__dirname, "..", "schema");
const FILES = [
  ...readdirSync(SCHEMA_DIR).filter((name) => name.endsWith(".graphql") && name !== "supergraph.graphql"),
  join("subscriptions", "gateway.graphql"),
];
/** Japanese (kana or kanji) first, then English: "日本語 / English" or "日本語 (English)". */
const BILINGUAL = /[\u3040-\u30ff\u3400-\u9fff].*[A-Za-z]{2,}/s;
/** Federation's own extension types carry no descriptions of ours. */
const ROOT_TYPES = new Set(["Query", "Mutation", "Subscription"]);

function describedElements(definition: DefinitionNode): [string, StringValueNode | undefined][] {
  if (!("name" in definition) || definition.name === undefined || !("description" in definition)) return [];
  const type = definition.name.value;
  const elements: [string, StringValueNode | undefined][] = ROOT_TYPES.has(type) ? [] : [[type, definition.description]];
  if ("fields" in definition) {
    for (const field of definition.fields ?? []) {
      elements.push([`${type}.${field.name.value}`, field.description]);
      if ("arguments" in field)
        for (const argument of field.arguments ?? []) elements.push([`${type}.${field.name.value}(${argument.name.value})`, argument.description]);
    }
  }
  if (definition.kind === Kind.ENUM_TYPE_DEFINITION)
    for (const value of definition.values ?? []) elements.push([`${type}.${value.name.value}`, value.description]);
  return elements;
}

test("the five subgraphs and the gateway's subscriptions are all checked", () => {
  expect(FILES.sort()).toEqual(
    ["emergency.graphql", "events.graphql", "groups.graphql", "resources.graphql", join("subscriptions", "gateway.graphql"), "transitions.graphql"].sort(),
  );
});

test.each(FILES)("%s describes every type, field, argument and enum value in Japanese, then English", (file) => {
  const document = parse(readFileSync(join(SCHEMA_DIR, file), "utf8"));
  const elements = document.definitions.flatMap(describedElements);
  expect(elements.length).toBeGreaterThan(5);
  const undescribed = elements.filter(([, description]) => !BILINGUAL.test(description?.value ?? "")).map(([name]) => name);
  expect(undescribed).toEqual([]);
});
