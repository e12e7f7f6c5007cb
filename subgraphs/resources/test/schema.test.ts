// The resources SDL against the domain: described in Japanese and English throughout, enums equal to the domain's code lists.
import { readFileSync } from "node:fs";
import { Kind, parse } from "graphql";
import type { DefinitionNode, EnumTypeDefinitionNode, StringValueNode } from "graphql";
import {
  ACCEPT_CODES,
  ACCEPT_LABELS,
  CAPACITY_UNITS,
  CARE_LEVELS,
  CONTACT_CHANNELS,
  PROVENANCE_SOURCES,
  RESOURCE_KINDS,
  WEEKDAYS,
} from "../src/domain";
import { RESOURCES_SCHEMA_PATH } from "../src/index";

const document = parse(readFileSync(RESOURCES_SCHEMA_PATH, "utf8"));
/** Japanese (kana or kanji), then " / " and English. */
const BILINGUAL = /[\u3040-\u30ff\u3400-\u9fff].*\s\/\s+[A-Za-z0-9(]/s;

/** Every described element of a definition: `Type`, `Type.field`, `Type.field(argument)`, `Enum.VALUE`. */
function describedElements(definition: DefinitionNode): Array<[string, StringValueNode | undefined]> {
  if (!("name" in definition) || definition.name === undefined || !("description" in definition)) return [];
  const type = definition.name.value;
  const elements: Array<[string, StringValueNode | undefined]> = [[type, definition.description]];
  if ("fields" in definition) {
    for (const field of definition.fields ?? []) {
      elements.push([`${type}.${field.name.value}`, field.description]);
      if ("arguments" in field) {
        for (const argument of field.arguments ?? []) elements.push([`${type}.${field.name.value}(${argument.name.value})`, argument.description]);
      }
    }
  }
  if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
    for (const value of definition.values ?? []) elements.push([`${type}.${value.name.value}`, value.description]);
  }
  return elements;
}

function enumValues(name: string): EnumTypeDefinitionNode {
  const found = document.definitions.find(
    (definition): definition is EnumTypeDefinitionNode => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name,
  );
  if (found === undefined) throw new Error(`enum ${name} is not in the schema`);
  return found;
}

test("every type, field, argument and enum value is described in Japanese and English", () => {
  const elements = document.definitions.flatMap(describedElements);
  expect(elements.length).toBeGreaterThan(300);
  expect(elements.filter(([, description]) => !BILINGUAL.test(description?.value ?? "")).map(([name]) => name)).toEqual([]);
});

test.each([
  ["ResourceKind", RESOURCE_KINDS],
  ["Weekday", WEEKDAYS],
  ["AcceptCode", ACCEPT_CODES],
  ["ProvenanceSource", PROVENANCE_SOURCES],
  ["ContactChannel", CONTACT_CHANNELS],
  ["CapacityUnit", CAPACITY_UNITS],
  ["CareLevel", CARE_LEVELS],
] as const)("enum %s has exactly the domain's codes", (name, codes) => {
  expect(enumValues(name).values?.map((value) => value.name.value)).toEqual([...codes]);
});

test("AcceptCode values are described with the domain's labels", () => {
  const described = enumValues("AcceptCode").values?.map((value) => [value.name.value, value.description?.value]);
  expect(described).toEqual(ACCEPT_CODES.map((code) => [code, `${ACCEPT_LABELS[code].ja} / ${ACCEPT_LABELS[code].en}`]));
});
