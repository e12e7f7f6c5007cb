// Subscriptions through the gateway with a real graphql-ws client, over fixture subgraphs that publish events, with in-process and Redis pub/sub: delivery with cross-subgraph fields, filters, authorisation, limits, cleanup.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Redis } from "ioredis";
import { REDIS_CHANNEL_PREFIX, createPubSub } from "@tsunagu/service-kit";
import type { PubSub, RunningService } from "@tsunagu/service-kit";
import { startRedisServer } from "@tsunagu/test-kit";
import type { RedisServer } from "@tsunagu/test-kit";
import { createApiKey } from "../src/api-keys";
import { ClientRateLimiter } from "../src/rate-limit";
import { postGraphQL, silentLogger } from "./helpers";
import { bearer, memoryApiKeyStore, startBoards, startDirectory, startSubscriptionGateway, untilListening, waitFor } from "./subscription-stack";
import type { LookupCounts } from "./subscription-stack";
import { LiveSubscription, connectWs, rawConnection, rawSubscribe } from "@tsunagu/test-kit";
import type { WsConnection } from "@tsunagu/test-kit";

const AVAILABILITY = `subscription Availability($categories: [String!], $districts: [String!]) {
  availabilityChanged(categories: $categories, districts: $districts) { id name district vacancies }
}`;

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
});

/** `global.gc`, without starting node with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

describe.each(["in-process", "Redis"] as const)("subscriptions through the gateway, %s pub/sub", (mode) => {
  const redisUrl = (): string | undefined => (mode === "Redis" ? redis.url : undefined);
  const counts: LookupCounts = { resource: 0 };
  const apiKeys = memoryApiKeyStore();
  let subgraphPubSub: PubSub;
  let gatewayPubSub: PubSub;
  let directory: RunningService;
  let boards: RunningService;
  let gateway: RunningService;
  let coordinator: string;
  const opened: WsConnection[] = [];

  /** A graphql-ws client closed after the test. */
  function open(connectionParams: Record<string, unknown> = {}): WsConnection {
    const connection = connectWs(gateway.url, connectionParams);
    opened.push(connection);
    return connection;
  }

  const listening = (topic: string, count: number) => untilListening(gatewayPubSub, topic, count, redisUrl());

  async function mutate(query: string, authorization: string): Promise<Record<string, unknown>> {
    const answer = await postGraphQL(gateway.url, { query }, { authorization });
    expect(answer.body.errors).toBeUndefined();
    return answer.body.data ?? {};
  }

  beforeAll(async () => {
    // With Redis the subgraphs and the gateway use separate connections, as separate processes would.
    subgraphPubSub = await createPubSub({ redisUrl: redisUrl(), logger: silentLogger });
    gatewayPubSub = mode === "Redis" ? await createPubSub({ redisUrl: redis.url, logger: silentLogger }) : subgraphPubSub;
    directory = await startDirectory(subgraphPubSub, counts);
    boards = await startBoards(subgraphPubSub);
    gateway = await startSubscriptionGateway(
      { directory: directory.url, boards: boards.url },
      { pubsub: gatewayPubSub, apiKeys, limits: { maxDepth: 5 }, subscriptions: { maxPerConnection: 3 } },
    );
    coordinator = await bearer({ role: "COORDINATOR" });
  });

  afterEach(async () => {
    await Promise.all(
      opened.splice(0).map(async ({ client }) => {
        await client.dispose();
      }),
    );
    await waitFor(() => gatewayPubSub.listenerCount() === 0, "every listener removed");
  });

  afterAll(async () => {
    await gateway?.stop();
    await directory?.stop();
    await boards?.stop();
    await gatewayPubSub?.close();
    await subgraphPubSub?.close();
  });

  test("availabilityChanged: a coordinator's update through the gateway reaches a subscriber within a second, with the resource's fields", async () => {
    const { client } = open({ authorization: await bearer({ role: "PROFESSIONAL", memberId: "m1" }) });
    const live = new LiveSubscription(client, { query: AVAILABILITY });
    await listening("availability", 1);
    await mutate('mutation { setVacancies(id: "r1", vacancies: 3) { id } }', coordinator);
    expect(await live.next()).toEqual({
      data: { availabilityChanged: { id: "r1", name: "つばさ訪問看護ステーション", district: "中央", vacancies: 3 } },
    });
  });

  test("availabilityChanged filters by category and by district", async () => {
    const { client } = open();
    const salons = new LiveSubscription(client, { query: AVAILABILITY, variables: { categories: ["salon"] } });
    const central = new LiveSubscription(client, { query: AVAILABILITY, variables: { districts: ["中央"] } });
    const both = new LiveSubscription(client, { query: AVAILABILITY, variables: { categories: ["home-nursing", "salon"], districts: ["東部"] } });
    await listening("availability", 3);
    for (const [id, vacancies] of [
      ["r1", 4],
      ["r2", 9],
      ["r3", 1],
    ] as const) {
      await mutate(`mutation { setVacancies(id: "${id}", vacancies: ${vacancies}) { id } }`, coordinator);
    }
    // Events arrive in order, so a first result for a later event shows the earlier ones were filtered out.
    expect((await salons.next()).data).toEqual({ availabilityChanged: { id: "r2", name: "ほっとサロン日の出", district: "東部", vacancies: 9 } });
    expect([(await central.next()).data, (await central.next()).data]).toEqual([
      { availabilityChanged: { id: "r1", name: "つばさ訪問看護ステーション", district: "中央", vacancies: 4 } },
      { availabilityChanged: { id: "r3", name: "小松市地域包括支援センター", district: "中央", vacancies: 1 } },
    ]);
    expect((await both.next()).data).toEqual({ availabilityChanged: { id: "r2", name: "ほっとサロン日の出", district: "東部", vacancies: 9 } });
  });

  test("postAdded: cross-subgraph fields, aliases, fragments and the subscriber's variables, within a second", async () => {
    const { client } = open({ authorization: await bearer({ role: "PROFESSIONAL", memberId: "m2" }) });
    const live = new LiveSubscription(client, {
      query: `subscription Watch($board: ID!, $withAuthor: Boolean!) {
        latest: postAdded(boardId: $board) { ...PostParts author @include(if: $withAuthor) { name affiliation { name } } }
      }
      fragment PostParts on Post { id heading: title board { name } }`,
      variables: { board: "b-open", withAuthor: true },
    });
    await listening("board:b-open", 1);
    const added = await mutate(
      'mutation { addPost(boardId: "b-open", title: "退院前カンファレンスのお知らせ") { id } }',
      await bearer({ role: "PROFESSIONAL", memberId: "m1" }),
    );
    expect(await live.next()).toEqual({
      data: {
        latest: {
          id: (added.addPost as { id: string }).id,
          heading: "退院前カンファレンスのお知らせ",
          board: { name: "多職種連携の会" },
          author: { name: "山田 花子", affiliation: { name: "つばさ訪問看護ステーション" } },
        },
      },
    });
  });

  test("postUpdated and commentAdded reach their subscribers", async () => {
    const member = await bearer({ role: "PROFESSIONAL", memberId: "m1" });
    const { client } = open({ authorization: member });
    const updates = new LiveSubscription(client, { query: 'subscription { postUpdated(boardId: "b-private") { id title } }' });
    const comments = new LiveSubscription(client, { query: 'subscription { commentAdded(postId: "p0") { body post { title author { name } } } }' });
    await listening("board:b-private", 1);
    await listening("post:p0", 1);
    await mutate('mutation { editPost(id: "p0", title: "4月の事例検討会（会場変更）") { id } }', member);
    await mutate('mutation { addComment(postId: "p0", body: "確認しました") { id } }', member);
    expect(await updates.next()).toEqual({ data: { postUpdated: { id: "p0", title: "4月の事例検討会（会場変更）" } } });
    expect(await comments.next()).toEqual({
      data: { commentAdded: { body: "確認しました", post: { title: "4月の事例検討会（会場変更）", author: { name: "山田 花子" } } } },
    });
  });

  test("a private board: a member receives its posts; a non-member and an anonymous subscriber are refused with FORBIDDEN", async () => {
    const memberConnection = open({ authorization: await bearer({ role: "PROFESSIONAL", memberId: "m1" }) });
    const outsiderConnection = open({ authorization: await bearer({ role: "PROFESSIONAL", memberId: "m2" }) });
    const anonymousConnection = open();
    const query = 'subscription { postAdded(boardId: "b-private") { title } }';
    const member = new LiveSubscription(memberConnection.client, { query });
    const outsider = new LiveSubscription(outsiderConnection.client, { query });
    const anonymous = new LiveSubscription(anonymousConnection.client, { query });
    const refusal = (board: string, reason: string) => [{ message: `You may not subscribe to board ${board}: ${reason}`, extensions: { code: "FORBIDDEN" } }];
    expect(await outsider.error()).toEqual(refusal("b-private", "Board b-private is private to its group's members"));
    expect(await anonymous.error()).toEqual(refusal("b-private", "Board b-private is private to its group's members"));
    const unknown = new LiveSubscription(anonymousConnection.client, { query: 'subscription { postAdded(boardId: "b-none") { title } }' });
    expect(await unknown.error()).toEqual(refusal("b-none", "it does not exist or is not visible to you"));
    await listening("board:b-private", 1);
    await mutate('mutation { addPost(boardId: "b-private", title: "部会の議事録") { id } }', await bearer({ role: "PROFESSIONAL", memberId: "m1" }));
    expect(await member.next()).toEqual({ data: { postAdded: { title: "部会の議事録" } } });
  });

  test("each subscriber's own identity applies to the fields: a restricted field is null with FORBIDDEN for the public, present for a professional", async () => {
    const query = 'subscription { availabilityChanged(categories: ["salon"]) { name staffPhone } }';
    const anonymous = new LiveSubscription(open().client, { query });
    const professional = new LiveSubscription(open({ authorization: await bearer({ role: "PROFESSIONAL", memberId: "m2" }) }).client, { query });
    await listening("availability", 2);
    await mutate('mutation { setVacancies(id: "r2", vacancies: 8) { id } }', coordinator);
    expect(await professional.next()).toEqual({ data: { availabilityChanged: { name: "ほっとサロン日の出", staffPhone: "0761-00-0002" } } });
    expect(await anonymous.next()).toMatchObject({
      data: { availabilityChanged: { name: "ほっとサロン日の出", staffPhone: null } },
      errors: [{ message: "Staff phone numbers are for professionals", path: ["availabilityChanged", "staffPhone"], extensions: { code: "FORBIDDEN" } }],
    });
  });

  test("an API key authenticates a WebSocket connection like the X-Api-Key header", async () => {
    const { key } = await createApiKey(apiKeys, { owner: "Vendor K.K.", scopes: ["resources:read"] });
    const live = new LiveSubscription(open({ "x-api-key": key }).client, { query: "subscription { availabilityChanged { id } }" });
    await listening("availability", 1);
    await mutate('mutation { setVacancies(id: "r1", vacancies: 6) { id } }', coordinator);
    expect(await live.next()).toEqual({ data: { availabilityChanged: { id: "r1" } } });
  });

  test("bad credentials in connection_init close the connection with 4403 and the reason", async () => {
    const expired = open({ authorization: await bearer({ role: "COORDINATOR", expiresIn: "-10m" }) });
    const both = open({ authorization: coordinator, "x-api-key": "tsk_x" });
    const wrongType = open({ authorization: 42 });
    for (const { client } of [expired, both, wrongType]) new LiveSubscription(client, { query: "subscription { availabilityChanged { id } }" });
    expect(await expired.closed).toEqual({ code: 4403, reason: "Invalid bearer token: the token has expired" });
    expect(await both.closed).toEqual({ code: 4403, reason: "Send either an Authorization bearer token or an X-Api-Key, not both" });
    expect(await wrongType.closed).toEqual({ code: 4403, reason: "connection_init payload authorization must be a string" });
  });

  test("the gateway's limits apply to subscription documents, with the same codes as over HTTP", async () => {
    const { client } = open();
    const refused = async (payload: { query: string; variables?: Record<string, unknown> }) => new LiveSubscription(client, payload).error();
    expect(await refused({ query: 'subscription { commentAdded(postId: "p0") { post { comments { post { author { name } } } } } }' })).toEqual([
      expect.objectContaining({ extensions: { code: "BAD_USER_INPUT", limit: "depth" } }),
    ]);
    expect(await refused({ query: "subscription { availabilityChanged { nom } }" })).toEqual([
      expect.objectContaining({ message: 'Cannot query field "nom" on type "Resource". Did you mean "name"?', extensions: { code: "BAD_USER_INPUT" } }),
    ]);
    expect(await refused({ query: 'query { resource(id: "r1") { name } }' })).toEqual([
      { message: "Only subscriptions are served over WebSocket; send queries and mutations by HTTP POST to /graphql", extensions: { code: "BAD_USER_INPUT" } },
    ]);
    expect(await refused({ query: "subscription ($c: [String!]) { availabilityChanged(categories: $c) { id } }", variables: { c: [1] } })).toEqual([
      expect.objectContaining({
        message: 'Variable "$c" got invalid value 1 at "c[0]"; String cannot represent a non string value: 1',
        extensions: { code: "BAD_USER_INPUT" },
      }),
    ]);
    expect(await refused({ query: "subscription { ... on Subscription { availabilityChanged { id } } }" })).toEqual([
      { message: "Select exactly one subscription field, directly (no fragment or directive around it)", extensions: { code: "BAD_USER_INPUT" } },
    ]);
    expect(await refused({ query: "subscription {" })).toEqual([
      expect.objectContaining({ message: "Syntax Error: Expected Name, found <EOF>.", extensions: { code: "BAD_USER_INPUT" } }),
    ]);
  });

  test("a connection may hold a limited number of subscriptions", async () => {
    const { client } = open();
    const live = Array.from({ length: 3 }, () => new LiveSubscription(client, { query: "subscription { availabilityChanged { id } }" }));
    await listening("availability", 3);
    const fourth = new LiveSubscription(client, { query: "subscription { availabilityChanged { id } }" });
    expect(await fourth.error()).toEqual([
      { message: "At most 3 subscriptions per connection; complete one first", extensions: { code: "BAD_USER_INPUT", limit: "subscriptionsPerConnection" } },
    ]);
    live[0]?.stop();
    await listening("availability", 2);
    const again = new LiveSubscription(client, { query: "subscription { availabilityChanged { id } }" });
    await listening("availability", 3);
    again.stop();
  });

  test("1,000 connect/subscribe/disconnect cycles (graceful, abrupt, and closed mid-subscribe) leave no listener behind and no growing heap", async () => {
    const batch = async (size: number) => {
      const graceful = Array.from({ length: size / 2 }, () => {
        const connection = connectWs(gateway.url);
        return { connection, live: new LiveSubscription(connection.client, { query: "subscription { availabilityChanged { id } }" }) };
      });
      const abrupt = await Promise.all(Array.from({ length: size / 2 }, () => rawConnection(gateway.url)));
      abrupt.forEach((socket) => rawSubscribe(socket, "1", { query: "subscription { availabilityChanged { id } }" }));
      // Half of the abrupt ones are cut at once, while the gateway may still be preparing their subscription.
      abrupt.slice(0, size / 4).forEach((socket) => socket.terminate());
      await waitFor(() => gatewayPubSub.listenerCount("availability") >= size * 0.75, "the batch listening");
      abrupt.slice(size / 4).forEach((socket) => socket.terminate());
      await Promise.all(
        graceful.map(async ({ connection }) => {
          await connection.client.dispose();
        }),
      );
      await waitFor(() => gatewayPubSub.listenerCount() === 0, "the batch's listeners removed");
    };
    for (let i = 0; i < 4; i++) await batch(50);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 16; i++) await batch(50);
    collectGarbage();
    const grownBytes = process.memoryUsage().heapUsed - before;
    expect(gatewayPubSub.listenerCount()).toBe(0);
    // A leaked connection or subscription costs tens of kilobytes; 800 of them would far exceed this.
    expect(grownBytes).toBeLessThan(4 * 1024 * 1024);
  }, 120_000);
});

describe("across processes with Redis", () => {
  let subgraphPubSub: PubSub;
  let directory: RunningService;
  let gateway: RunningService;

  beforeAll(async () => {
    subgraphPubSub = await createPubSub({ redisUrl: redis.url, logger: silentLogger });
    directory = await startDirectory(subgraphPubSub, { resource: 0 });
    // The gateway makes its own Redis pub/sub from redisUrl, as with REDIS_URL.
    gateway = await startSubscriptionGateway({ directory: directory.url }, { redisUrl: redis.url });
  });

  afterAll(async () => {
    await gateway?.stop();
    await directory?.stop();
    await subgraphPubSub?.close();
  });

  test("an event published by another process reaches a graphql-ws subscriber of this gateway, resolved through the supergraph", async () => {
    const { client } = connectWs(gateway.url);
    const live = new LiveSubscription(client, { query: 'subscription { availabilityChanged(districts: ["東部"]) { id name vacancies } }' });
    const observer = new Redis(redis.url);
    await waitFor(
      async () => ((await observer.pubsub("NUMSUB", `${REDIS_CHANNEL_PREFIX}availability`)) as [string, number])[1] === 1,
      "the gateway subscribed",
    );
    await observer.quit();

    const event = { type: "availabilityChanged", topic: "availability", payload: { resourceId: "r2", category: "salon", district: "東部" } };
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "publish-event.ts"), JSON.stringify(event)], {
      cwd: join(__dirname, "..", ".."),
      env: { ...process.env, REDIS_URL: redis.url },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(await live.next()).toEqual({ data: { availabilityChanged: { id: "r2", name: "ほっとサロン日の出", vacancies: 10 } } });
    await client.dispose();
  });

  test("without groups composed, only availabilityChanged is served; post subscriptions are unknown fields", async () => {
    const { client } = connectWs(gateway.url);
    const posts = new LiveSubscription(client, { query: 'subscription { postAdded(boardId: "b-open") { id } }' });
    expect(await posts.error()).toEqual([
      expect.objectContaining({ message: 'Cannot query field "postAdded" on type "Subscription".', extensions: { code: "BAD_USER_INPUT" } }),
    ]);
    await client.dispose();
  });
});

describe("rate limits", () => {
  let pubsub: PubSub;
  let directory: RunningService;
  let gateway: RunningService;

  beforeAll(async () => {
    pubsub = await createPubSub({ logger: silentLogger });
    directory = await startDirectory(pubsub, { resource: 0 });
    gateway = await startSubscriptionGateway({ directory: directory.url }, { pubsub, rateLimiter: new ClientRateLimiter({ burst: 2, perSecond: 0.001 }) });
  });

  afterAll(async () => {
    await gateway?.stop();
    await directory?.stop();
    await pubsub?.close();
  });

  test("the HTTP rate limiter counts WebSocket connections and subscriptions: a subscribe over the limit is RATE_LIMITED, a connection over it is closed with 1013", async () => {
    const authorization = await bearer({ role: "PROFESSIONAL", subject: "busy-user" });
    const first = connectWs(gateway.url, { authorization });
    const query = "subscription { availabilityChanged { id } }";
    const allowed = new LiveSubscription(first.client, { query });
    await untilListening(pubsub, "availability", 1);
    const refused = new LiveSubscription(first.client, { query });
    expect(await refused.error()).toEqual([
      { message: expect.stringMatching(/^Too many requests; retry after \d+ s$/), extensions: { code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) } },
    ]);
    const second = connectWs(gateway.url, { authorization });
    new LiveSubscription(second.client, { query });
    expect(await second.closed).toEqual({ code: 1013, reason: expect.stringMatching(/^Too many requests; retry after \d+ s$/) });
    allowed.stop();
    await Promise.all([first.client.dispose(), second.client.dispose()]);
    await waitFor(() => pubsub.listenerCount() === 0, "the listener removed");
  });
});

describe("dropped connections", () => {
  let pubsub: PubSub;
  let directory: RunningService;
  let gateway: RunningService;

  beforeAll(async () => {
    pubsub = await createPubSub({ logger: silentLogger });
    directory = await startDirectory(pubsub, { resource: 0 });
    // Its own gateway: a ping interval this short would drop healthy clients of a busy test process too.
    gateway = await startSubscriptionGateway({ directory: directory.url }, { pubsub, subscriptions: { keepAliveMs: 200 } });
  });

  afterAll(async () => {
    await gateway?.stop();
    await directory?.stop();
    await pubsub?.close();
  });

  test("a connection that stops answering pings is dropped and its subscriptions end", async () => {
    const silent = await rawConnection(gateway.url, { autoPong: false });
    rawSubscribe(silent, "1", { query: "subscription { availabilityChanged { id } }" });
    await untilListening(pubsub, "availability", 1);
    const [code] = (await once(silent, "close")) as [number];
    expect(code).toBe(1006);
    await waitFor(() => pubsub.listenerCount() === 0, "the dropped connection's listener removed");
  });
});
