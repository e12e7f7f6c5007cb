// The events SDL against the domain: enums equal to the domain's code lists.
import { readFileSync } from "node:fs";
import { Kind, parse } from "graphql";
import type { EnumTypeDefinitionNode } from "graphql";
import {
  CHECKLIST_PHASES,
  EVENT_FORMATS,
  EVENT_STATUSES,
  EVENT_TYPES,
  EVENT_TYPE_LABELS,
  EVENT_VISIBILITIES,
  PROFESSIONS,
  PROFESSION_LABELS,
  RECURRENCE_FREQUENCIES,
  REGISTRATION_STATUSES,
  SATISFACTIONS,
  SATISFACTION_LABELS,
  TARGET_INDICATORS,
  WEEKDAYS,
} from "../src/domain";
import { EVENTS_SCHEMA_PATH } from "../src/index";

const document = parse(readFileSync(EVENTS_SCHEMA_PATH, "utf8"));
function enumValues(name: string): EnumTypeDefinitionNode {
  const found = document.definitions.find(
    (definition): definition is EnumTypeDefinitionNode => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name,
  );
  if (found === undefined) throw new Error(`enum ${name} is not in the schema`);
  return found;
}

test.each([
  ["EventType", EVENT_TYPES],
  ["EventFormat", EVENT_FORMATS],
  ["EventVisibility", EVENT_VISIBILITIES],
  ["EventStatus", EVENT_STATUSES],
  ["ChecklistPhase", CHECKLIST_PHASES],
  ["RegistrationStatus", REGISTRATION_STATUSES],
  ["Satisfaction", SATISFACTIONS],
  ["TargetIndicator", TARGET_INDICATORS],
  ["RecurrenceFrequency", RECURRENCE_FREQUENCIES],
  ["Weekday", WEEKDAYS],
  ["Profession", PROFESSIONS],
] as const)("enum %s has exactly the domain's codes", (name, values) => {
  expect(enumValues(name).values?.map((value) => value.name.value)).toEqual([...values]);
});

test("kinds, answers and professions are described with the domain's Japanese labels", () => {
  const startsWith = (name: string, labels: Readonly<Record<string, string>>) =>
    enumValues(name)
      .values?.filter((value) => !(value.description?.value ?? "").startsWith(labels[value.name.value] ?? "?"))
      .map((value) => value.name.value);
  expect(startsWith("Satisfaction", SATISFACTION_LABELS)).toEqual([]);
  expect(startsWith("Profession", PROFESSION_LABELS)).toEqual([]);
  expect(
    enumValues("EventType").values?.map((value) => value.description?.value.includes(EVENT_TYPE_LABELS[value.name.value as keyof typeof EVENT_TYPE_LABELS])),
  ).toEqual(EVENT_TYPES.map(() => true));
});
