// The request context of the resources subgraph: who is asking (from the gateway), the models, and this request's DataLoaders.
import type { PubSub, RequestContext } from "@tsunagu/service-kit";
import { createLoaders } from "./loaders";
import type { ResourceLoaders } from "./loaders";
import type { ResourceModels } from "./models";

export interface ResourcesContext extends RequestContext {
  models: ResourceModels;
  loaders: ResourceLoaders;
  /** Where domain events go (availabilityChanged); absent: none are published. */
  pubsub?: PubSub;
}

/** `createContext` for startSubgraph: fresh loaders for every request. */
export function resourcesContextFactory(models: ResourceModels, pubsub?: PubSub): (base: RequestContext) => ResourcesContext {
  return (base) => ({ ...base, models, loaders: createLoaders(models), pubsub });
}
