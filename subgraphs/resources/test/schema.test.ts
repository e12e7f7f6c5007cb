// The resources SDL against the domain: enums equal to the domain's code lists.
import { readFileSync } from "node:fs";
import { Kind, parse } from "graphql";
import type { EnumTypeDefinitionNode } from "graphql";
import { ACCEPT_CODES, ACCEPT_LABELS, CAPACITY_UNITS, CARE_LEVELS, CONTACT_CHANNELS, PROVENANCE_SOURCES, RESOURCE_KINDS, WEEKDAYS } from "../src/domain";
import { RESOURCES_SCHEMA_PATH } from "../src/index";

const document = parse(readFileSync(RESOURCES_SCHEMA_PATH, "utf8"));
function enumValues(name: string): EnumTypeDefinitionNode {
  const found = document.definitions.find(
    (definition): definition is EnumTypeDefinitionNode => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name,
  );
  if (found === undefined) throw new Error(`enum ${name} is not in the schema`);
  return found;
}

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
