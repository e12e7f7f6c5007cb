// The events SDL against the domain: described in Japanese and English throughout, and enums equal to the domain's code lists.
import { readFileSync } from "node:fs";
import { Kind, parse } from "graphql";
import type { DefinitionNode, EnumTypeDefinitionNode, StringValueNode } from "graphql";
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
/** Japanese (kana or kanji), then " / " and English. */
const BILINGUAL = /[\u3040-\u30ff\u3400-\u9fff].*\s\/\s+[A-Za-z0-9(]/s;

function describedElements(definition: DefinitionNode): Array<[string, StringValueNode | undefined]> {
  if (!("name" in definition) || definition.name === undefined || !("description" in definition)) return [];
  const type = definition.name.value;
  const elements: Array<[string, StringValueNode | undefined]> = [[type, definition.description]];
  if ("fields" in definition) {
    for (const field of definition.fields ?? []) {
      elements.push([`${type}.${field.name.value}`, field.description]);
      if ("arguments" in field) for (const argument of field.arguments ?? []) elements.push([`${type}.${field.name.value}(${argument.name.value})`, argument.description]);
    }
  }
  if (definition.kind === Kind.ENUM_TYPE_DEFINITION) for (const value of definition.values ?? []) elements.push([`${type}.${value.name.value}`, value.description]);
  return elements;
}

function enumValues(name: string): EnumTypeDefinitionNode {
  const found = document.definitions.find((definition): definition is EnumTypeDefinitionNode => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name);
  if (found === undefined) throw new Error(`enum ${name} is not in the schema`);
  return found;
}

test("every type, field, argument and enum value is described in Japanese and English", () => {
  const elements = document.definitions.flatMap(describedElements).filter(([name]) => !["Query", "Mutation"].includes(name));
  expect(elements.length).toBeGreaterThan(300);
  expect(elements.filter(([, description]) => !BILINGUAL.test(description?.value ?? "")).map(([name]) => name)).toEqual([]);
});

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
    enumValues(name).values?.filter((value) => !(value.description?.value ?? "").startsWith(labels[value.name.value] ?? "?")).map((value) => value.name.value);
  expect(startsWith("Satisfaction", SATISFACTION_LABELS)).toEqual([]);
  expect(startsWith("Profession", PROFESSION_LABELS)).toEqual([]);
  expect(enumValues("EventType").values?.map((value) => value.description?.value.includes(EVENT_TYPE_LABELS[value.name.value as keyof typeof EVENT_TYPE_LABELS]))).toEqual(EVENT_TYPES.map(() => true));
});
