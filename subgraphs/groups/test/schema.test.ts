// The groups SDL against the domain: every element described in Japanese and English, and enums equal to the domain's code lists.
import { readFileSync } from "node:fs";
import { buildASTSchema, isEnumType, isInputObjectType, isObjectType, isSpecifiedScalarType, parse } from "graphql";
import type { GraphQLNamedType } from "graphql";
import {
  BOARD_VISIBILITIES,
  CONSULTATION_CATEGORIES,
  CONSULTATION_CHANNELS,
  CONSULTATION_STATUSES,
  GROUP_KINDS,
  GROUP_ROLES,
  PROFESSIONS,
  PROFESSION_NAMES,
  WEEKDAYS,
} from "../src/domain";
import { GROUPS_SCHEMA_PATH } from "../src/index";

const FEDERATION = "directive @link(url: String!, import: [String!]) repeatable on SCHEMA directive @key(fields: String!) repeatable on OBJECT directive @shareable on OBJECT | FIELD_DEFINITION";
const schema = buildASTSchema(parse(`${FEDERATION}\n${readFileSync(GROUPS_SCHEMA_PATH, "utf8")}`));
/** Japanese (kana or kanji), then " / " and English. */
const BILINGUAL = /[\u3040-\u30ff\u3400-\u9fff].*\s\/\s+[A-Za-z0-9(]/s;

/** `[path, description]` of a type and everything in it that can carry a description. */
function descriptions(type: GraphQLNamedType): Array<[string, string | null | undefined]> {
  const own: Array<[string, string | null | undefined]> = [[type.name, type.description]];
  if (isObjectType(type) || isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      own.push([`${type.name}.${field.name}`, field.description]);
      for (const argument of "args" in field ? field.args : []) own.push([`${type.name}.${field.name}(${argument.name})`, argument.description]);
    }
  }
  if (isEnumType(type)) for (const value of type.getValues()) own.push([`${type.name}.${value.name}`, value.description]);
  return own;
}

test("every type, field, argument and enum value is described in Japanese and English", () => {
  const ours = Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith("__") && !isSpecifiedScalarType(type));
  const elements = ours.flatMap(descriptions);
  expect(elements.length).toBeGreaterThan(300);
  expect(elements.filter(([, description]) => !BILINGUAL.test(description ?? "")).map(([path]) => path)).toEqual([]);
});

test.each([
  ["GroupKind", GROUP_KINDS],
  ["GroupRole", GROUP_ROLES],
  ["Profession", PROFESSIONS],
  ["BoardVisibility", BOARD_VISIBILITIES],
  ["Weekday", WEEKDAYS],
  ["ConsultationCategory", CONSULTATION_CATEGORIES],
  ["ConsultationChannel", CONSULTATION_CHANNELS],
  ["ConsultationStatus", CONSULTATION_STATUSES],
] as const)("enum %s has exactly the domain's codes", (name, codes) => {
  const type = schema.getType(name);
  if (!isEnumType(type)) throw new Error(`${name} is not an enum`);
  expect(type.getValues().map((value) => value.name)).toEqual([...codes]);
});

test("each profession is described by its Japanese name", () => {
  const type = schema.getType("Profession");
  if (!isEnumType(type)) throw new Error("Profession is not an enum");
  for (const value of type.getValues()) {
    expect(value.description?.startsWith(`${PROFESSION_NAMES[value.name as keyof typeof PROFESSION_NAMES][0]} `)).toBe(true);
  }
});
