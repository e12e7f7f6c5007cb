// Starts a MongoDB-backed subgraph from its SDL file: the options every subgraph's start function takes, passed to startSubgraph with a Mongo readiness check.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import type { Router } from "express";
import type { Connection } from "mongoose";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { mongoReadinessCheck } from "./health";
import type { RequestContext } from "./identity";
import type { Logger } from "./logger";
import type { NonceStore } from "./nonces";
import type { PeerSubgraphs } from "./peer-subgraphs";
import type { PubSub } from "./pubsub";
import type { SubgraphKeys } from "./subgraph-keys";
import { startSubgraph, type RunningService } from "./subgraph-server";

/** What every subgraph's start function accepts (each adds its own settings). */
export interface SubgraphServiceOptions {
  connection: Connection;
  /** This subgraph's keys (`deriveSubgraphKeys`), never IDENTITY_SECRET itself. */
  keys: SubgraphKeys;
  logger: Logger;
  /** Default 0 (a free port; the real one is in the returned URL). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** How old a signed identity header may be; default 60 s. */
  identityMaxAgeSeconds?: number;
  /** Introspection and internal error details; default false. */
  development?: boolean;
  /** Where the subgraph publishes its domain events (shared with the gateway's subscriptions); absent: no events. */
  pubsub?: PubSub;
  /** Where the nonces of signed requests are remembered; default: in memory (one process). */
  nonces?: NonceStore;
  /** The other subgraphs, asked through their APIs (e.g. whether a member exists); absent: none are reachable. */
  peers?: PeerSubgraphs;
}

/** The subgraph itself: its name in the supergraph, its SDL file and resolvers, and its per-request context. */
export interface SubgraphDefinition<TContext extends RequestContext> {
  name: string;
  schemaPath: string;
  /** The codegen-typed resolvers of the subgraph. */
  resolvers: object;
  createContext: (base: RequestContext) => TContext | Promise<TContext>;
  routes?: Router;
}

export function serveSubgraph<TContext extends RequestContext>(
  options: SubgraphServiceOptions,
  definition: SubgraphDefinition<TContext>,
): Promise<RunningService> {
  return startSubgraph<TContext>({
    name: definition.name,
    typeDefs: parse(readFileSync(definition.schemaPath, "utf8")),
    // The generated types describe __resolveReference as (reference, context, info), which @apollo/subgraph's map type
    // cannot express; every resolver is still checked against the schema by the generated `Resolvers` type.
    resolvers: definition.resolvers as GraphQLResolverMap<TContext>,
    createContext: definition.createContext,
    routes: definition.routes,
    keys: options.keys,
    identityMaxAgeSeconds: options.identityMaxAgeSeconds,
    nonces: options.nonces,
    logger: options.logger,
    port: options.port,
    host: options.host,
    development: options.development,
    readinessChecks: { mongo: mongoReadinessCheck(options.connection) },
  });
}
