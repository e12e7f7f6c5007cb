// The request context of the groups subgraph's resolvers, built once per request with fresh DataLoaders.
import type { PubSub, RequestContext } from "@tsunagu/service-kit";
import { createLoaders } from "./loaders";
import type { GroupsLoaders } from "./loaders";
import type { GroupsModels } from "./models";

export interface GroupsContext extends RequestContext {
  models: GroupsModels;
  loaders: GroupsLoaders;
  /** Where domain events go once their write is committed (postAdded, postUpdated, commentAdded). */
  pubsub: PubSub;
}

/** The factory `startSubgraph` calls for each request. */
export function groupsContextFactory(models: GroupsModels, pubsub: PubSub) {
  return (base: RequestContext): GroupsContext => ({ ...base, models, pubsub, loaders: createLoaders(models) });
}
