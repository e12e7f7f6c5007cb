// The resources subgraph's arguments validated into service inputs (ids, ResourceInput); the generic validators come from service-kit and are re-exported for the resolvers.
import { controlCharacterProblems, invalidInput, joinFieldPath, withoutNulls } from "@tsunagu/service-kit";
import { validateResourceInput } from "./domain";
import type { ResourceInput } from "./domain";

export { DEFAULT_PAGE_SIZE, invalidInput, parseInstant, parseObjectId as parseResourceId, parsePage, validated, withoutNulls } from "@tsunagu/service-kit";
export type { PageRequest } from "@tsunagu/service-kit";

/** A ResourceInput argument validated like any other input; availability given through it is stamped `now`. */
export function parseResourceInput(raw: unknown, now: Date, field: string): ResourceInput {
  const draft = withoutNulls(raw) as { capacity?: { available?: unknown } };
  const stamped = draft.capacity?.available === undefined ? draft : { ...draft, capacity: { ...draft.capacity, updatedAt: now } };
  const result = validateResourceInput(stamped);
  const characters = controlCharacterProblems(raw, field);
  if (result.ok && characters.length === 0) return result.value;
  const problems = result.ok ? [] : result.errors.map((error) => ({ field: joinFieldPath(field, error.field.split(".")), reason: error.reason }));
  throw invalidInput([...characters, ...problems.filter((problem) => !characters.some((character) => character.field === problem.field))]);
}
