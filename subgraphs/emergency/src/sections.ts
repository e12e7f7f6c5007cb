// Which sections of a profile an operation selected, read from the GraphQL selection set (fragments included, @skip/@include applied as graphql executes them), for the access log.
import { GraphQLIncludeDirective, GraphQLSkipDirective, Kind, getDirectiveValues } from "graphql";
import type { FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode, SelectionSetNode } from "graphql";
import type { ProfileSection } from "./generated/resolvers-types";

/** Every section in the order of the schema's enum. */
export const ALL_SECTIONS = [
  "PERSON",
  "BLOOD_TYPE",
  "CONDITIONS",
  "MEDICATIONS",
  "ALLERGIES",
  "IMPLANTED_DEVICES",
  "CARE_TEAM",
  "CARE_LEVEL",
  "LIVING_SITUATION",
  "EMERGENCY_CONTACTS",
  "ADVANCE_CARE",
  "CONSENT",
  "REVIEW_STATUS",
  "CARD",
  "SHARING",
  "CANDIDATES",
] as const satisfies readonly ProfileSection[];

/** The section each part of a profile's content is logged as (an update replaces parts; a confirmation names their items). */
export const CONTENT_SECTIONS = {
  person: "PERSON",
  bloodType: "BLOOD_TYPE",
  conditions: "CONDITIONS",
  medications: "MEDICATIONS",
  allergies: "ALLERGIES",
  implantedDevices: "IMPLANTED_DEVICES",
  careTeam: "CARE_TEAM",
  careLevel: "CARE_LEVEL",
  livingSituation: "LIVING_SITUATION",
  emergencyContacts: "EMERGENCY_CONTACTS",
  advanceCare: "ADVANCE_CARE",
} as const satisfies Readonly<Record<string, ProfileSection>>;

/** The section each field of EmergencyProfile belongs to; identifiers and bookkeeping belong to none. */
const FIELD_SECTIONS: Readonly<Record<string, ProfileSection | null>> = {
  id: null,
  __typename: null,
  version: null,
  createdAt: null,
  updatedAt: null,
  person: "PERSON",
  bloodType: "BLOOD_TYPE",
  conditions: "CONDITIONS",
  medications: "MEDICATIONS",
  allergies: "ALLERGIES",
  implantedDevices: "IMPLANTED_DEVICES",
  primaryHospital: "CARE_TEAM",
  visitingNursingStation: "CARE_TEAM",
  primaryPhysician: "CARE_TEAM",
  careManager: "CARE_TEAM",
  careTeamSource: "CARE_TEAM",
  careLevel: "CARE_LEVEL",
  careLevelSource: "CARE_LEVEL",
  livingSituation: "LIVING_SITUATION",
  emergencyContacts: "EMERGENCY_CONTACTS",
  advanceCare: "ADVANCE_CARE",
  consent: "CONSENT",
  lastReviewedAt: "REVIEW_STATUS",
  card: "CARD",
  accessGrants: "SHARING",
  delegates: "SHARING",
};

/** Sections in the enum's order, without repeats. */
export function orderedSections(sections: Iterable<ProfileSection>): ProfileSection[] {
  const wanted = new Set(sections);
  return ALL_SECTIONS.filter((section) => wanted.has(section));
}

/** Whether graphql executes a selection: graphql-js's own rule (shouldIncludeNode) on @skip and @include with the operation's variables. */
function isIncluded(node: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: GraphQLResolveInfo["variableValues"]): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/** The fields executed on objects of `typeName` in `selectionSets` (a field skipped by @skip/@include is not). */
function collectFields(selectionSets: readonly SelectionSetNode[], typeName: string, info: GraphQLResolveInfo): FieldNode[] {
  const fields: FieldNode[] = [];
  const fragments: Readonly<Record<string, FragmentDefinitionNode>> = info.fragments;
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!isIncluded(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        fields.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition === undefined || selection.typeCondition.name.value === typeName) visit(selection.selectionSet);
      } else {
        const fragment = fragments[selection.name.value];
        if (fragment !== undefined && fragment.typeCondition.name.value === typeName) visit(fragment.selectionSet);
      }
    }
  };
  selectionSets.forEach(visit);
  return fields;
}

/**
 * The profile sections selected under the resolving field: directly (`emergencyProfile { ... }`), on the entity of
 * `_entities` (`... on EmergencyProfile { ... }`), or under the field path `via` (`emergencyLookup { profile { ... } }`).
 */
export function selectedSections(info: GraphQLResolveInfo, via: readonly { typeName: string; field: string }[] = []): ProfileSection[] {
  let selectionSets = info.fieldNodes.flatMap((node) => (node.selectionSet === undefined ? [] : [node.selectionSet]));
  for (const step of via) {
    selectionSets = collectFields(selectionSets, step.typeName, info)
      .filter((field) => field.name.value === step.field)
      .flatMap((field) => (field.selectionSet === undefined ? [] : [field.selectionSet]));
  }
  const names = collectFields(selectionSets, "EmergencyProfile", info).map((field) => field.name.value);
  return orderedSections(
    names.flatMap((name) => {
      const section = FIELD_SECTIONS[name];
      return section === null || section === undefined ? [] : [section];
    }),
  );
}
