// The gateway's side of the identity claims an answer read: a subgraph call records what the subgraph reported, every claim for an audited subgraph, and every claim when the call failed.
import type { GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { IDENTITY_CLAIMS, IdentityReadLog, createPubSub } from "@tsunagu/service-kit";
import type { Identity, PubSub, RequestContext, RunningService } from "@tsunagu/service-kit";
import { TEST_IDENTITY_SECRET } from "@tsunagu/test-kit";
import { SignedSubgraphDataSource } from "../src/subgraph-source";
import { silentLogger } from "./helpers";
import { startDirectory } from "./subscription-stack";

const nurse: Identity = { role: "PROFESSIONAL", authMethod: "jwt", subject: "nurse-a", memberId: "m1", scopes: [] };

let pubsub: PubSub;
let directory: RunningService;

beforeAll(async () => {
  pubsub = await createPubSub({ logger: silentLogger });
  directory = await startDirectory(pubsub, { resource: 0 });
});

afterAll(async () => {
  await directory?.stop();
  await pubsub?.close();
});

/** Sends `query` to the directory subgraph (at `url`) through a data source as the gateway would for an operation whose context carries `identityReads`. */
async function readsOf(query: string, { audited = false, url = directory.url } = {}): Promise<{ reads: string[]; data: unknown }> {
  const dataSource = new SignedSubgraphDataSource({
    name: "directory",
    url,
    identitySecret: TEST_IDENTITY_SECRET,
    lane: { timeoutMs: 5000, maxConcurrent: 4 },
    mergeInFlight: false,
    audited,
    logger: silentLogger,
  });
  const identityReads = new IdentityReadLog();
  const context: RequestContext & { identityReads: IdentityReadLog } = { identity: nurse, requestId: "r-1", logger: silentLogger, identityReads };
  try {
    const options = {
      kind: "incoming operation",
      request: { query },
      context,
      incomingRequestContext: { contextValue: context },
    } as unknown as GraphQLDataSourceProcessOptions<RequestContext>;
    const response = await dataSource.process(options);
    return { reads: identityReads.reads(), data: response.data };
  } finally {
    await dataSource.close();
  }
}

test("the claims the subgraph's resolvers read, as it reported them: none for public fields, the role for a professionals-only one, the subject for a personal one", async () => {
  expect(await readsOf('{ resource(id: "r1") { name vacancies } }')).toEqual({
    reads: [],
    data: { resource: { name: "つばさ訪問看護ステーション", vacancies: 2 } },
  });
  expect((await readsOf('{ resource(id: "r1") { name staffPhone } }')).reads).toEqual(["role"]);
  expect((await readsOf('{ resource(id: "r1") { staffPhone bookmarkedByMe } }')).reads).toEqual(["role", "subject"]);
});

test("an audited subgraph's answer counts as reading the whole identity, whatever it reported", async () => {
  expect((await readsOf('{ resource(id: "r1") { name } }', { audited: true })).reads).toEqual(IDENTITY_CLAIMS);
});

test("a call that failed counts as reading the whole identity", async () => {
  const closed = new URL(directory.url);
  closed.port = "1";
  expect((await readsOf('{ resource(id: "r1") { name } }', { url: closed.toString() })).reads).toEqual(IDENTITY_CLAIMS);
});
