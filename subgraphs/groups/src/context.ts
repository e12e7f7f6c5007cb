// The request context of the groups subgraph's resolvers, built once per request with fresh DataLoaders.
import type { PeerSubgraphs, PubSub, RequestContext } from "@tsunagu/service-kit";
import { createLoaders } from "./loaders";
import type { GroupsLoaders } from "./loaders";
import type { GroupsModels } from "./models";

export interface GroupsContext extends RequestContext {
  models: GroupsModels;
  loaders: GroupsLoaders;
  /** Where domain events go once their write is committed (postAdded, postUpdated, commentAdded). */
  pubsub: PubSub;
  /** The resources service, asked whether an affiliation matches the resource it names; absent (run alone): not checked. */
  peers?: PeerSubgraphs;
}

/** The factory `startSubgraph` calls for each request. */
export function groupsContextFactory(models: GroupsModels, pubsub: PubSub, peers: PeerSubgraphs | undefined) {
  return (base: RequestContext): GroupsContext => ({ ...base, models, pubsub, peers, loaders: createLoaders(models) });
}
