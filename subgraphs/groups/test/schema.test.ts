// The groups SDL against the domain: enums equal to the domain's code lists.
import { readFileSync } from "node:fs";
import { buildASTSchema, isEnumType, parse } from "graphql";
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

const FEDERATION =
  "directive @link(url: String!, import: [String!]) repeatable on SCHEMA directive @key(fields: String!) repeatable on OBJECT directive @shareable on OBJECT | FIELD_DEFINITION";
const schema = buildASTSchema(parse(`${FEDERATION}\n${readFileSync(GROUPS_SCHEMA_PATH, "utf8")}`));
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
