// The request context of the transitions subgraph: who is asking (from the gateway), the moment of the request, the models, pub/sub and this request's DataLoaders.
import type { PubSub, RequestContext, RunningAuditChain } from "@tsunagu/service-kit";
import { createLoaders } from "./loaders";
import type { TransitionLoaders } from "./loaders";
import type { TransitionModels } from "./models";

export interface TransitionsContext extends RequestContext {
  models: TransitionModels;
  loaders: TransitionLoaders;
  /** The hash chain of the access log: every entry is appended through it. */
  accessChain: RunningAuditChain;
  /** Where transitionNoticeReceived goes when a notice is sent; absent: nothing is published. */
  pubsub?: PubSub;
  /** The moment of this request; every log entry of the request carries it. */
  now: Date;
}

/** `createContext` for startSubgraph: the clock read once and fresh loaders for every request. */
export function transitionsContextFactory(
  models: TransitionModels,
  pubsub: PubSub | undefined,
  accessChain: RunningAuditChain,
): (base: RequestContext) => TransitionsContext {
  return (base) => ({ ...base, models, pubsub, accessChain, now: new Date(), loaders: createLoaders(models, accessChain.chain) });
}
