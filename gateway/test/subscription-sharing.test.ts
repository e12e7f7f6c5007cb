// Subscription events resolved once per distinct authorisation outcome, through the gateway with graphql-ws clients over the fixture subgraphs: people with different rights get different fields, people the answer cannot tell apart share one subgraph lookup, and an answer that depends on who asks is never shared.
import { createPubSub } from "@tsunagu/service-kit";
import type { PubSub, RunningService } from "@tsunagu/service-kit";
import { LiveSubscription, connectWs, rawConnection, rawSubscribe, startRedisServer } from "@tsunagu/test-kit";
import type { RedisServer, WsConnection } from "@tsunagu/test-kit";
import { postGraphQL, silentLogger } from "./helpers";
import { bearer, startBoards, startDirectory, startSubscriptionGateway, untilListening, waitFor } from "./subscription-stack";
import type { LookupCounts } from "./subscription-stack";

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
});

describe.each(["in-process", "Redis"] as const)("lookups shared by authorisation outcome, %s pub/sub", (mode) => {
  const redisUrl = (): string | undefined => (mode === "Redis" ? redis.url : undefined);
  const counts: LookupCounts = { resource: 0 };
  let subgraphPubSub: PubSub;
  let gatewayPubSub: PubSub;
  let directory: RunningService;
  let boards: RunningService;
  let gateway: RunningService;
  let coordinator: string;
  const opened: WsConnection[] = [];

  /** A subscription to `query` on a connection of its own, with `authorization` (none: the public). */
  function subscribe(query: string, authorization?: string): LiveSubscription {
    const connection = connectWs(gateway.url, authorization === undefined ? {} : { authorization });
    opened.push(connection);
    return new LiveSubscription(connection.client, { query });
  }

  /** Reports vacancies as a coordinator and returns how many times the directory subgraph was asked for the resource while subscribers received `results`. */
  async function setVacancies(id: string, vacancies: number, subscriptions: readonly LiveSubscription[]) {
    await untilListening(gatewayPubSub, "availability", subscriptions.length, redisUrl());
    counts.resource = 0;
    const answer = await postGraphQL(
      gateway.url,
      { query: `mutation { setVacancies(id: "${id}", vacancies: ${vacancies}) { id } }` },
      { authorization: coordinator },
    );
    expect(answer.body.errors).toBeUndefined();
    const results = await Promise.all(subscriptions.map((live) => live.next()));
    return { results, lookups: counts.resource };
  }

  beforeAll(async () => {
    subgraphPubSub = await createPubSub({ redisUrl: redisUrl(), logger: silentLogger });
    gatewayPubSub = mode === "Redis" ? await createPubSub({ redisUrl: redis.url, logger: silentLogger }) : subgraphPubSub;
    directory = await startDirectory(subgraphPubSub, counts);
    boards = await startBoards(subgraphPubSub);
    gateway = await startSubscriptionGateway({ directory: directory.url, boards: boards.url }, { pubsub: gatewayPubSub });
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
    if (gatewayPubSub !== subgraphPubSub) await gatewayPubSub?.close();
    await subgraphPubSub?.close();
  });

  test("a professional and the public receive different fields of the same event; each outcome is looked up once, however many people share it", async () => {
    const query = 'subscription { availabilityChanged(categories: ["salon"]) { name staffPhone } }';
    const professionals = await Promise.all(
      ["nurse-a", "nurse-b", "care-manager-c"].map(async (subject, i) =>
        subscribe(query, await bearer({ role: "PROFESSIONAL", subject, memberId: `m${i + 1}` })),
      ),
    );
    const publicViewers = [subscribe(query), subscribe(query)];
    const { results, lookups } = await setVacancies("r2", 8, [...professionals, ...publicViewers]);
    const seenByProfessional = { data: { availabilityChanged: { name: "ほっとサロン日の出", staffPhone: "0761-00-0002" } } };
    const seenByPublic = {
      data: { availabilityChanged: { name: "ほっとサロン日の出", staffPhone: null } },
      errors: [{ message: "Staff phone numbers are for professionals", path: ["availabilityChanged", "staffPhone"], extensions: { code: "FORBIDDEN" } }],
    };
    expect(results.slice(0, 3)).toEqual([seenByProfessional, seenByProfessional, seenByProfessional]);
    for (const result of results.slice(3)) expect(result).toMatchObject(seenByPublic);
    expect(lookups).toBe(2);
  });

  test("a selection no access rule reads the identity for is looked up once for everyone, and everyone gets the same payload", async () => {
    const query = "subscription { availabilityChanged { id name vacancies } }";
    const subscriptions = [
      subscribe(query, await bearer({ role: "PROFESSIONAL", subject: "nurse-a" })),
      subscribe(query, await bearer({ role: "RESIDENT", subject: "resident-1" })),
      subscribe(query, coordinator),
      subscribe(query),
    ];
    const { results, lookups } = await setVacancies("r3", 5, subscriptions);
    expect(results).toEqual(Array(4).fill({ data: { availabilityChanged: { id: "r3", name: "小松市地域包括支援センター", vacancies: 5 } } }));
    expect(lookups).toBe(1);
  });

  test("a selection whose answer depends on who asks is not shared between people of the same role; one person's connections still share", async () => {
    const query = "subscription { availabilityChanged { id bookmarkedByMe } }";
    const nurseA = await bearer({ role: "PROFESSIONAL", subject: "nurse-a" });
    const subscriptions = [
      subscribe(query, nurseA),
      subscribe(query, await bearer({ role: "PROFESSIONAL", subject: "nurse-b" })),
      subscribe(query, nurseA),
      subscribe(query, await bearer({ role: "PROFESSIONAL", subject: "nurse-c" })),
    ];
    const { results, lookups } = await setVacancies("r1", 1, subscriptions);
    expect(results.map((result) => result.data)).toEqual(
      [true, false, true, false].map((bookmarkedByMe) => ({ availabilityChanged: { id: "r1", bookmarkedByMe } })),
    );
    expect(lookups).toBe(3);
  });

  test("on the wire, each subscription of a connection gets its own graphql-ws next message, under its id and alias, from one lookup; none after it completes", async () => {
    const socket = await rawConnection(gateway.url);
    const messages: unknown[] = [];
    socket.on("message", (data) => messages.push(JSON.parse((data as Buffer).toString("utf8"))));
    try {
      rawSubscribe(socket, "first", { query: 'subscription { mine: availabilityChanged(categories: ["salon"]) { id vacancies } }' });
      rawSubscribe(socket, "second", { query: 'subscription { theirs: availabilityChanged(categories: ["salon"]) { id vacancies } }' });
      await untilListening(gatewayPubSub, "availability", 2, redisUrl());
      counts.resource = 0;
      const report = async (vacancies: number) => {
        const answer = await postGraphQL(
          gateway.url,
          { query: `mutation { setVacancies(id: "r2", vacancies: ${vacancies}) { id } }` },
          { authorization: coordinator },
        );
        expect(answer.body.errors).toBeUndefined();
      };
      await report(6);
      await waitFor(() => messages.length === 2, "both subscriptions' next messages");
      expect(messages).toEqual(
        expect.arrayContaining([
          { id: "first", type: "next", payload: { data: { mine: { id: "r2", vacancies: 6 } } } },
          { id: "second", type: "next", payload: { data: { theirs: { id: "r2", vacancies: 6 } } } },
        ]),
      );
      expect(counts.resource).toBe(1);
      socket.send(JSON.stringify({ id: "first", type: "complete" }));
      await untilListening(gatewayPubSub, "availability", 1, redisUrl());
      await report(7);
      await waitFor(() => messages.length === 3, "the remaining subscription's next message");
      expect(messages.slice(2)).toEqual([{ id: "second", type: "next", payload: { data: { theirs: { id: "r2", vacancies: 7 } } } }]);
    } finally {
      socket.close();
    }
  });

  test("with sharing turned off, each person is looked up on their own and receives the same payload as with it", async () => {
    const unshared = await startSubscriptionGateway(
      { directory: directory.url, boards: boards.url },
      { pubsub: gatewayPubSub, subscriptions: { shareLookups: false } },
    );
    const query = "subscription { availabilityChanged { id vacancies } }";
    const nurseA = await bearer({ role: "PROFESSIONAL", subject: "nurse-a" });
    try {
      const subscriptions = [nurseA, await bearer({ role: "PROFESSIONAL", subject: "nurse-b" }), nurseA, undefined].map((authorization) => {
        const connection = connectWs(unshared.url, authorization === undefined ? {} : { authorization });
        opened.push(connection);
        return new LiveSubscription(connection.client, { query });
      });
      const { results, lookups } = await setVacancies("r2", 4, subscriptions);
      expect(results).toEqual(Array(4).fill({ data: { availabilityChanged: { id: "r2", vacancies: 4 } } }));
      expect(lookups).toBe(3);
    } finally {
      await Promise.all(
        opened.splice(0).map(async ({ client }) => {
          await client.dispose();
        }),
      );
      await unshared.stop();
    }
  });
});
