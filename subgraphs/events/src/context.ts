// The request context of the events subgraph: who is asking (from the gateway), the models, this request's DataLoaders, access codes, pub/sub and where calendar feeds are served.
import type { PubSub, RequestContext } from "@tsunagu/service-kit";
import type { AccessCodes } from "./access";
import { createLoaders } from "./loaders";
import type { EventLoaders, LoaderOptions } from "./loaders";
import type { EventModels } from "./models";
import type { KeyedQueue } from "./serialise";

export interface EventsContext extends RequestContext {
  models: EventModels;
  loaders: EventLoaders;
  accessCodes: AccessCodes;
  /** Registration changes per event id, one after another in this process. */
  seatChanges: KeyedQueue;
  /** Where domain events go (registrationPromoted); absent: none are published. */
  pubsub?: PubSub;
  /** The public origin of the calendar feeds, e.g. `https://tsunagu.example.jp` (feeds are under /calendar). */
  calendarOrigin(): string;
}

/** What every request's context shares. */
export interface EventsServices {
  models: EventModels;
  accessCodes: AccessCodes;
  seatChanges: KeyedQueue;
  pubsub?: PubSub;
  calendarOrigin(): string;
  loaderOptions?: LoaderOptions;
}

/** `createContext` for startSubgraph: fresh loaders, scoped to the caller, for every request. */
export function eventsContextFactory(services: EventsServices): (base: RequestContext) => EventsContext {
  const { loaderOptions, ...shared } = services;
  return (base) => ({ ...base, ...shared, loaders: createLoaders(services.models, base.identity, loaderOptions) });
}
