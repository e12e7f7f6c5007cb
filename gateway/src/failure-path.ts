// Where a failed subgraph call leaves a hole in the answer: the path (relative to the fetch, as @apollo/gateway maps subgraph error paths) of the first field the call was asked for.
import { Kind, parse } from "graphql";
import type { DocumentNode, SelectionSetNode } from "graphql";

/** The first field of a selection set other than `__typename`, looking into inline fragments. */
function firstField(selectionSet: SelectionSetNode | undefined): { responseName: string; selectionSet: SelectionSetNode | undefined } | undefined {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD && selection.name.value !== "__typename") {
      return { responseName: selection.alias?.value ?? selection.name.value, selectionSet: selection.selectionSet };
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const inside = firstField(selection.selectionSet);
      if (inside !== undefined) return inside;
    }
  }
  return undefined;
}

/**
 * The error path for a subgraph call that failed as a whole: `[rootField]` for a root fetch, or
 * `["_entities", 0, field]` for an entity fetch, which the gateway turns into the path of the first entity's field in
 * the client's answer. Undefined when the operation cannot be read.
 */
export function failurePath(document: DocumentNode | undefined, query: string | undefined): (string | number)[] | undefined {
  let parsed = document;
  if (parsed === undefined && query !== undefined) {
    try {
      parsed = parse(query);
    } catch {
      return undefined;
    }
  }
  const operation = parsed?.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operation === undefined || operation.kind !== Kind.OPERATION_DEFINITION) return undefined;
  const root = firstField(operation.selectionSet);
  if (root === undefined) return undefined;
  if (root.responseName !== "_entities") return [root.responseName];
  const field = firstField(root.selectionSet);
  return field === undefined ? ["_entities", 0] : ["_entities", 0, field.responseName];
}
