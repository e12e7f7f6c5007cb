// Read-only views: a view (a namespace whose options hold viewOn + pipeline) resolved to its source collection and the pipeline that reads it.
import type { Document } from "bson";
import type { Collection } from "./collection";
import { CommandError } from "./errors";
import { collationKey, parseCollation } from "./collation";
import { namespaceOf } from "./store";

/** What reading a namespace means: the collection that holds the documents and the view stages to run over them first. */
export interface ReadTarget {
  collection: Collection | undefined;
  /** The view pipelines, innermost view first; empty for a collection. */
  viewPipeline: Document[];
  /** The collation to run under, in MongoDB's full form (undefined: simple). */
  collation: Document | undefined;
  isView: boolean;
}

/** MongoDB nests views at most this deep. */
const MAX_VIEW_DEPTH = 20;

export function isView(collection: Collection | undefined): boolean {
  return collection?.options.viewOn !== undefined;
}

/** MongoDB's answer to a write, index change or other collection-only command on a view. */
export function refuseOnView(collection: Collection | undefined, ns: string): void {
  if (isView(collection)) throw new CommandError("CommandNotSupportedOnView", `Namespace ${ns} is a view, not a collection`);
}

/**
 * The source and pipeline behind a namespace, and the collation an operation runs under: its own, else the
 * collection's default; a view's collation cannot be overridden (167), as MongoDB.
 */
export function readTarget(lookup: (ns: string) => Collection | undefined, ns: string, requested: unknown): ReadTarget {
  let collection = lookup(ns);
  const own = parseCollation(requested);
  if (!isView(collection)) {
    const collation = requested === undefined || requested === null ? parseCollation(collection?.options.collation) : own;
    return { collection, viewPipeline: [], collation: collation?.spec, isView: false };
  }
  const viewCollation = parseCollation(collection!.options.collation);
  if (requested !== undefined && requested !== null && collationKey(own) !== collationKey(viewCollation)) {
    throw new CommandError("OptionNotSupportedOnView", `Cannot override a view's default collation`);
  }
  const pipelines: Document[][] = [];
  const db = ns.slice(0, ns.indexOf("."));
  for (let depth = 0; isView(collection); depth++) {
    if (depth >= MAX_VIEW_DEPTH)
      throw new CommandError("ViewDepthLimitExceeded", `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`);
    pipelines.unshift(collection!.options.pipeline as Document[]);
    collection = lookup(namespaceOf(db, collection!.options.viewOn));
  }
  return { collection, viewPipeline: pipelines.flat(), collation: viewCollation?.spec, isView: true };
}
