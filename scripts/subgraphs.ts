// The subgraphs `npm start` runs, in start and seed order: how each one starts, and how it seeds its demo data with other subgraphs' ids fetched through their own APIs.
import type { Connection } from "mongoose";
import { peerSubgraphs, signedAsGateway } from "@tsunagu/service-kit";
import type { Identity, Logger, NonceStore, PeerSubgraphs, PubSub, RunningService, SubgraphKeys } from "@tsunagu/service-kit";
import { seedDemoEmergencyProfiles, startEmergencySubgraph } from "@tsunagu/emergency";
import type { DemoPhysician } from "@tsunagu/emergency";
import { seedDemoEvents, startEventsSubgraph } from "@tsunagu/events";
import type { DemoMember } from "@tsunagu/events";
import { seedDemoGroups, startGroupsSubgraph } from "@tsunagu/groups";
import type { DemoAffiliation } from "@tsunagu/groups";
import { seedDemoResources, startResourcesSubgraph } from "@tsunagu/resources";
import { seedDemoTransitions, startTransitionsSubgraph } from "@tsunagu/transitions";
import type { DemoParty } from "@tsunagu/transitions";

/** What a subgraph's demo-data seed did: `skipped` when its data was already there. */
export interface SeedResult {
  inserted: number;
  skipped: boolean;
}

/** What every subgraph starter receives from `startSystem`. */
export interface SubgraphStartOptions {
  connection: Connection;
  /** Shared with the gateway, so that the domain events a subgraph publishes reach subscriptions. */
  pubsub: PubSub;
  /** The subgraph's own keys, derived from the gateway's IDENTITY_SECRET. */
  keys: SubgraphKeys;
  identityMaxAgeSeconds: number;
  /** Where the nonces of signed requests are remembered (Redis when REDIS_URL is set). */
  nonces: NonceStore;
  logger: Logger;
  port: number;
  host: string;
  development: boolean;
  /** The subgraphs started before this one (and, once they start, after it), asked through their APIs. */
  peers: PeerSubgraphs;
  /** The gateway's public origin (PUBLIC_ORIGIN, else where it listens), known once the gateway is up; for links handed to users. */
  publicOrigin: () => string;
  /** Where the audit logs' chain heads are written out (DATA_DIR/audit). */
  auditHeadDirectory: string;
}

/** Asks a subgraph started earlier a GraphQL query and returns its data; errors are thrown. */
export type SeedQuery = (subgraph: string, query: string) => Promise<Record<string, unknown>>;

/** A subgraph `npm start` runs: its name in the supergraph, the variable choosing its port, how to start and seed it. */
export interface SystemSubgraph {
  name: string;
  portVariable: `${Uppercase<string>}_PORT`;
  start(options: SubgraphStartOptions): Promise<RunningService>;
  seed(connection: Connection, query: SeedQuery): Promise<SeedResult>;
}

/** The variables choosing the system's ports: the gateway's, then each subgraph's in SUBGRAPHS order. */
export function portVariables(): string[] {
  return ["PORT", ...SUBGRAPHS.map((subgraph) => subgraph.portVariable)];
}

/** The port `variable` chose in a loaded system configuration (every SUBGRAPHS entry has its variable in systemConfigSchema). */
export function portOf(config: object, variable: string): number {
  const value: unknown = (config as Readonly<Record<string, unknown>>)[variable];
  if (typeof value !== "number") throw new Error(`${variable} is missing from systemConfigSchema in scripts/start.ts`);
  return value;
}

/** Who the seeds ask other subgraphs as: a coordinator may read everything they need. */
const SEED_IDENTITY: Identity = { role: "COORDINATOR", authMethod: "jwt", subject: "npm-start-seed", displayName: "demo seed", scopes: [] };

/**
 * A SeedQuery over started subgraphs (name → GraphQL URL), each request signed as SEED_IDENTITY, so that a seed
 * reads another subgraph's data through its API, never its collections.
 */
export function seedQueryOver(urls: Readonly<Record<string, string>>, identitySecret: string): SeedQuery {
  const peers = peerSubgraphs(urls, signedAsGateway(identitySecret));
  return async (subgraph, query) => {
    if (!peers.has(subgraph)) throw new Error(`demo seed: the ${subgraph} subgraph has not started`);
    const { data, errors } = await peers.query<Record<string, unknown>>(subgraph, query, {}, SEED_IDENTITY);
    if (errors.length > 0 || data === null) {
      throw new Error(`demo seed: ${subgraph} answered: ${errors.map((error) => error.message).join("; ") || "no data"}`);
    }
    return data;
  };
}

interface Page<T> {
  edges: Array<{ node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Every node of a connection, page by page; `pageQuery(after)` asks for one page and returns the connection. */
async function allNodes<T>(pageQuery: (after: string | null) => Promise<Page<T>>): Promise<T[]> {
  const nodes: T[] = [];
  for (let after: string | null = null; ;) {
    const page = await pageQuery(after);
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
}

interface ResourceNode {
  id: string;
  names: { official: string; kana: string | null };
  address: { district: string | null };
  category: { code: string; labelJa: string };
}

/** The formal resources (hospitals, clinics, care offices, ...), for the demo members' affiliations. */
async function formalResources(query: SeedQuery): Promise<DemoAffiliation[]> {
  const nodes = await allNodes(async (after) => {
    const data = await query(
      "resources",
      `{ resources(filter: { kinds: [FORMAL] }, first: 100${after === null ? "" : `, after: ${JSON.stringify(after)}`}) {
        edges { node { id names { official kana } address { district } category { code labelJa } } }
        pageInfo { hasNextPage endCursor } } }`,
    );
    return data.resources as Page<ResourceNode>;
  });
  return nodes.map((node) => ({
    id: node.id,
    name: node.names.official,
    kana: node.names.kana,
    district: node.address.district,
    category: node.category.code,
    categoryLabel: node.category.labelJa,
  }));
}

/** The demo city's hospitals, to name as residents' primary hospitals (かかりつけ病院). */
async function hospitalIds(query: SeedQuery): Promise<string[]> {
  const data = await query("resources", '{ resources(filter: { categories: ["hospital"] }, first: 100) { edges { node { id } } } }');
  return (data.resources as Page<{ id: string }>).edges.map((edge) => edge.node.id);
}

/** The demo care managers (介護支援専門員), to name as residents' care managers. */
async function careManagerIds(query: SeedQuery): Promise<string[]> {
  const nodes = await allNodes(async (after) => {
    const data = await query(
      "groups",
      `{ contactDirectory(filter: { professions: [CARE_MANAGER] }, first: 50${after === null ? "" : `, after: ${JSON.stringify(after)}`}) {
        edges { node { members { id profession } } } pageInfo { hasNextPage endCursor } } }`,
    );
    return data.contactDirectory as Page<{ members: Array<{ id: string; profession: string }> }>;
  });
  return nodes
    .flatMap((node) => node.members)
    .filter((member) => member.profession === "CARE_MANAGER")
    .map((member) => member.id);
}

/** The demo doctors (医師) in the order `npm run token -- --demo PHYSICIAN` finds them, as residents' primary physicians. */
async function physicians(query: SeedQuery): Promise<DemoPhysician[]> {
  const nodes = await allNodes(async (after) => {
    const data = await query(
      "groups",
      `{ contactDirectory(filter: { professions: [PHYSICIAN] }, first: 50${after === null ? "" : `, after: ${JSON.stringify(after)}`}) {
        edges { node { members { id name profession affiliation { id } } } } pageInfo { hasNextPage endCursor } } }`,
    );
    return data.contactDirectory as Page<{ members: Array<{ id: string; name: string; profession: string; affiliation: { id: string } | null }> }>;
  });
  return nodes
    .flatMap((node) => node.members)
    .filter((member) => member.profession === "PHYSICIAN")
    .map((member) => ({ memberId: member.id, name: member.name, organizationId: member.affiliation?.id ?? null }));
}

interface DirectoryMember {
  id: string;
  name: string;
  profession: string;
  affiliation: { id: string } | null;
  workContact: { phone: string | null } | null;
}

/** The demo professionals of the contact directory, as attendees of the demo events. */
async function directoryMembers(query: SeedQuery): Promise<DirectoryMember[]> {
  const nodes = await allNodes(async (after) => {
    const data = await query(
      "groups",
      `{ contactDirectory(first: 50${after === null ? "" : `, after: ${JSON.stringify(after)}`}) {
        edges { node { members { id name profession affiliation { id } workContact { phone } } } } pageInfo { hasNextPage endCursor } } }`,
    );
    return data.contactDirectory as Page<{ members: DirectoryMember[] }>;
  });
  return nodes.flatMap((node) => node.members);
}

/** The demo groups, as organisers of the demo events (主催・共催). */
async function groupIds(query: SeedQuery): Promise<string[]> {
  const data = await query("groups", "{ groups(first: 20) { edges { node { id } } } }");
  return (data.groups as Page<{ id: string }>).edges.map((edge) => edge.node.id);
}

/** Directory members of `professions` with an affiliation, as the parties of the demo notices. */
async function partiesOf(query: SeedQuery, professions: readonly string[]): Promise<DemoParty[]> {
  return (await directoryMembers(query))
    .filter((member) => professions.includes(member.profession) && member.affiliation !== null)
    .map((member) => ({
      memberId: member.id,
      resourceId: (member.affiliation as { id: string }).id,
      contact: { name: member.name, office: null, phone: member.workContact?.phone ?? null },
    }));
}

/** Every subgraph that exists, in start and seed order (a seed may ask the subgraphs before it); each also needs its port variable in systemConfigSchema. */
export const SUBGRAPHS: readonly SystemSubgraph[] = [
  {
    name: "resources",
    portVariable: "RESOURCES_PORT",
    start: startResourcesSubgraph,
    seed: (connection) => seedDemoResources(connection),
  },
  {
    name: "groups",
    portVariable: "GROUPS_PORT",
    start: startGroupsSubgraph,
    seed: async (connection, query) => seedDemoGroups(connection, { resources: await formalResources(query) }),
  },
  {
    name: "emergency",
    portVariable: "EMERGENCY_PORT",
    start: startEmergencySubgraph,
    seed: async (connection, query) =>
      seedDemoEmergencyProfiles(connection, {
        hospitalIds: await hospitalIds(query),
        careManagerIds: await careManagerIds(query),
        physicians: await physicians(query),
      }),
  },
  {
    name: "events",
    portVariable: "EVENTS_PORT",
    start: startEventsSubgraph,
    seed: async (connection, query) =>
      seedDemoEvents(connection, {
        groupIds: await groupIds(query),
        resourceIds: (await formalResources(query)).map((resource) => resource.id),
        members: (await directoryMembers(query)).map((member) => ({
          id: member.id,
          name: member.name,
          // Both subgraphs share the Profession enum (composition requires it), so the value is one of its members.
          profession: member.profession as DemoMember["profession"],
          ...(member.affiliation ? { organizationId: member.affiliation.id } : {}),
        })),
      }),
  },
  {
    name: "transitions",
    portVariable: "TRANSITIONS_PORT",
    start: startTransitionsSubgraph,
    seed: async (connection, query) => {
      const { inserted, skipped } = await seedDemoTransitions(connection, {
        careManagers: await partiesOf(query, ["CARE_MANAGER", "CHIEF_CARE_MANAGER"]),
        hospitals: await partiesOf(query, ["MEDICAL_SOCIAL_WORKER", "SOCIAL_WORKER"]),
      });
      return { inserted, skipped };
    },
  },
];
