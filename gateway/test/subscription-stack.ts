// Test support for subscriptions: fixture subgraphs (directory: resources; boards: boards, posts, comments, members) that publish domain events, a gateway over them, tokens, and waiting until the gateway listens.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "graphql";
import { Redis } from "ioredis";
import { REDIS_CHANNEL_PREFIX, forbidden, startSubgraph, unauthenticated } from "@tsunagu/service-kit";
import type { PubSub, RequestContext, RunningService } from "@tsunagu/service-kit";
import { composeSupergraph } from "../../scripts/compose";
import { TEST_IDENTITY_SECRET, TEST_JWT, generousRateLimiter, testSubgraphKeys, silentLogger, testToken, waitFor } from "@tsunagu/test-kit";
import type { TestTokenRequest } from "@tsunagu/test-kit";
import type { ApiKeyRecord, ApiKeyStore } from "../src/api-keys";
import { createGateway } from "../src/server";
import type { GatewayOptions } from "../src/server";

export { waitFor };

const FIXTURE_DIR = join(__dirname, "fixtures", "subscriptions");

function fixtureSdl(name: string): string {
  return readFileSync(join(FIXTURE_DIR, `${name}.graphql`), "utf8");
}

/** The supergraph of the named fixture subgraphs (composed here, so there is no generated file to keep fresh). */
function subscriptionSupergraph(names: readonly string[]): string {
  return composeSupergraph(names.map((name) => ({ name, url: `http://${name}.invalid/graphql`, sdl: fixtureSdl(name) })));
}

interface ResourceRow {
  id: string;
  name: string;
  category: string;
  district: string;
  vacancies: number;
  staffPhone: string;
}

interface PostRow {
  id: string;
  title: string;
  boardId: string;
  authorId: string;
}

const RESOURCES = (): ResourceRow[] => [
  { id: "r1", name: "つばさ訪問看護ステーション", category: "home-nursing", district: "中央", vacancies: 2, staffPhone: "0761-00-0001" },
  { id: "r2", name: "ほっとサロン日の出", category: "salon", district: "東部", vacancies: 10, staffPhone: "0761-00-0002" },
  { id: "r3", name: "小松市地域包括支援センター", category: "comprehensive-support", district: "中央", vacancies: 0, staffPhone: "0761-00-0003" },
];

/** Resources bookmarked, by subject. */
const BOOKMARKS: Readonly<Record<string, readonly string[]>> = { "nurse-a": ["r1", "r2"], "nurse-b": ["r3"] };

const MEMBERS = [
  { id: "m1", name: "山田 花子", affiliationId: "r1" },
  { id: "m2", name: "佐藤 一郎", affiliationId: "r3" },
] as const;

const BOARDS = [
  { id: "b-open", name: "多職種連携の会", private: false, memberIds: ["m1", "m2"] },
  { id: "b-private", name: "ケアマネ部会", private: true, memberIds: ["m1"] },
] as const;

/** Lookups the directory subgraph served, to see sharing and per-subscriber execution. */
export interface LookupCounts {
  resource: number;
}

/** The directory subgraph: resources, and setVacancies (coordinators only) publishing availabilityChanged after the change. */
export function startDirectory(pubsub: PubSub, counts: LookupCounts): Promise<RunningService> {
  const resources = RESOURCES();
  const find = (id: string) => resources.find((resource) => resource.id === id) ?? null;
  return startSubgraph<RequestContext>({
    name: "directory",
    typeDefs: parse(fixtureSdl("directory")),
    resolvers: {
      Query: {
        resource: (_source: unknown, { id }: { id: string }) => {
          counts.resource++;
          return find(id);
        },
      },
      Mutation: {
        setVacancies: async (_source: unknown, { id, vacancies }: { id: string; vacancies: number }, { identity }: RequestContext) => {
          if (identity.role !== "COORDINATOR") throw forbidden("Only coordinators report vacancies here");
          const resource = find(id);
          if (resource === null) throw forbidden(`Resource ${id} is unknown`);
          resource.vacancies = vacancies;
          const { category, district } = resource;
          await pubsub.publish({ type: "availabilityChanged", topic: "availability", payload: { resourceId: id, category, district } });
          return resource;
        },
      },
      Resource: {
        __resolveReference: ({ id }: { id: string }) => find(id),
        staffPhone: (resource: ResourceRow, _args: unknown, { identity }: RequestContext) => {
          if (identity.role !== "PROFESSIONAL" && identity.role !== "COORDINATOR") throw forbidden("Staff phone numbers are for professionals");
          return resource.staffPhone;
        },
        bookmarkedByMe: (resource: ResourceRow, _args: unknown, { identity }: RequestContext) =>
          (BOOKMARKS[identity.subject ?? ""] ?? []).includes(resource.id),
      },
    },
    createContext: (base) => base,
    keys: testSubgraphKeys("directory"),
    logger: silentLogger,
  });
}

/** The boards subgraph: private boards (and their posts) readable by members only; mutations publish postAdded, postUpdated, commentAdded. */
export function startBoards(pubsub: PubSub): Promise<RunningService> {
  const posts: PostRow[] = [{ id: "p0", title: "4月の事例検討会", boardId: "b-private", authorId: "m1" }];
  const comments: Array<{ id: string; body: string; postId: string }> = [];
  const readableBoard = (id: string, { identity }: RequestContext) => {
    const board = BOARDS.find((candidate) => candidate.id === id);
    if (board === undefined) return null;
    if (board.private && !(board.memberIds as readonly string[]).includes(identity.memberId ?? "")) {
      throw forbidden(`Board ${id} is private to its group's members`);
    }
    return board;
  };
  const readablePost = (id: string, context: RequestContext) => {
    const post = posts.find((candidate) => candidate.id === id);
    return post === undefined || readableBoard(post.boardId, context) === null ? null : post;
  };
  const author = ({ memberId }: RequestContext["identity"]) => {
    if (memberId === undefined) throw unauthenticated("Posting needs a member's token");
    return memberId;
  };
  return startSubgraph<RequestContext>({
    name: "boards",
    typeDefs: parse(fixtureSdl("boards")),
    resolvers: {
      Query: {
        board: (_source: unknown, { id }: { id: string }, context: RequestContext) => readableBoard(id, context),
        post: (_source: unknown, { id }: { id: string }, context: RequestContext) => readablePost(id, context),
        comment: (_source: unknown, { id }: { id: string }, context: RequestContext) => {
          const comment = comments.find((candidate) => candidate.id === id);
          return comment === undefined || readablePost(comment.postId, context) === null ? null : comment;
        },
      },
      Mutation: {
        addPost: async (_source: unknown, { boardId, title }: { boardId: string; title: string }, context: RequestContext) => {
          readableBoard(boardId, context);
          const post = { id: `p${posts.length}`, title, boardId, authorId: author(context.identity) };
          posts.push(post);
          await pubsub.publish({ type: "postAdded", topic: `board:${boardId}`, payload: { postId: post.id, boardId } });
          return post;
        },
        editPost: async (_source: unknown, { id, title }: { id: string; title: string }, context: RequestContext) => {
          const post = readablePost(id, context);
          if (post === null) throw forbidden(`Post ${id} is unknown`);
          post.title = title;
          await pubsub.publish({ type: "postUpdated", topic: `board:${post.boardId}`, payload: { postId: id, boardId: post.boardId } });
          return post;
        },
        addComment: async (_source: unknown, { postId, body }: { postId: string; body: string }, context: RequestContext) => {
          const post = readablePost(postId, context);
          if (post === null) throw forbidden(`Post ${postId} is unknown`);
          const comment = { id: `c${comments.length + 1}`, body, postId };
          comments.push(comment);
          await pubsub.publish({ type: "commentAdded", topic: `post:${postId}`, payload: { commentId: comment.id, postId, boardId: post.boardId } });
          return comment;
        },
      },
      Board: { __resolveReference: ({ id }: { id: string }) => BOARDS.find((board) => board.id === id) ?? null },
      Post: {
        __resolveReference: ({ id }: { id: string }, context: RequestContext) => readablePost(id, context),
        board: (post: PostRow) => BOARDS.find((board) => board.id === post.boardId),
        author: (post: PostRow) => MEMBERS.find((member) => member.id === post.authorId),
        comments: (post: PostRow) => comments.filter((comment) => comment.postId === post.id),
      },
      Comment: {
        post: (comment: { postId: string }, _args: unknown, context: RequestContext) => readablePost(comment.postId, context),
      },
      Member: {
        __resolveReference: ({ id }: { id: string }) => MEMBERS.find((member) => member.id === id) ?? null,
        affiliation: (member: (typeof MEMBERS)[number]) => ({ id: member.affiliationId }),
      },
    },
    createContext: (base) => base,
    keys: testSubgraphKeys("boards"),
    logger: silentLogger,
  });
}

/** API keys in memory (the gateway tests with MongoDB cover the real store). */
export function memoryApiKeyStore(): ApiKeyStore {
  const keys: Array<ApiKeyRecord & { hash: string }> = [];
  return {
    insert: async (key) => {
      const record = { ...key, id: `key-${keys.length + 1}`, createdAt: new Date() };
      keys.push(record);
      return record;
    },
    findActiveByHash: async (hash) => keys.find((key) => key.hash === hash && key.revokedAt === undefined) ?? null,
    list: async () => keys,
    revoke: async (id) => {
      const key = keys.find((candidate) => candidate.id === id && candidate.revokedAt === undefined);
      if (key !== undefined) key.revokedAt = new Date();
      return key !== undefined;
    },
  };
}

/** A gateway on a free port over the given subgraphs (name → URL): the fixture supergraph of those names unless `options.supergraphSdl`. */
export function startSubscriptionGateway(subgraphUrls: Record<string, string>, options: Partial<GatewayOptions> = {}): Promise<RunningService> {
  return createGateway({
    supergraphSdl: options.supergraphSdl ?? subscriptionSupergraph(Object.keys(subgraphUrls)),
    subgraphUrls,
    port: 0,
    environment: "test",
    identitySecret: TEST_IDENTITY_SECRET,
    jwt: TEST_JWT,
    logger: silentLogger,
    apiKeys: memoryApiKeyStore(),
    rateLimiter: generousRateLimiter(),
    ...options,
  });
}

/** `Bearer <token>` for the test JWT settings (the subject defaults to `<role>-1`). */
export async function bearer(request: TestTokenRequest): Promise<string> {
  return `Bearer ${await testToken(request)}`;
}

/** Waits until `pubsub` has `count` listeners on `topic` and, with Redis, the broker has the channel subscribed. */
export async function untilListening(pubsub: PubSub, topic: string, count: number, redisUrl?: string): Promise<void> {
  await waitFor(() => pubsub.listenerCount(topic) === count, `${count} listener(s) on ${topic}`);
  if (redisUrl === undefined || count === 0) return;
  const observer = new Redis(redisUrl);
  try {
    await waitFor(async () => {
      const [, subscribers] = (await observer.pubsub("NUMSUB", `${REDIS_CHANNEL_PREFIX}${topic}`)) as [string, number];
      return subscribers > 0;
    }, `Redis subscription to ${topic}`);
  } finally {
    await observer.quit();
  }
}
