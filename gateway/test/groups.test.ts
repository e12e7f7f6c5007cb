// The groups subgraph through the gateway as a client: members and staff across subgraphs, the contact directory and its exports, boards and who may read them, read acknowledgements, consultation figures, bad input, idempotent creates, events after commit, batched entities.
import { Types } from "mongoose";
import { PUBLIC_IDENTITY } from "@tsunagu/service-kit";
import type { DomainEvent, Identity } from "@tsunagu/service-kit";
import { DEMO_CONSULTATION_FIGURES, groupsModels } from "@tsunagu/groups";
import { codes, postAsGateway } from "./helpers";
import type { GraphQLBody } from "./helpers";
import { signedIn, startGroupsStack } from "./groups-stack";
import type { GroupsStack } from "./groups-stack";
import { LiveSubscription, connectWs } from "@tsunagu/test-kit";
import type { WsConnection } from "@tsunagu/test-kit";

/** 10:00 on 15 June 2025 in Tokyo: the demo's consultation log covers fiscal year 2024 (2024-04-01 to 2025-03-31). */
const NOW = new Date("2025-06-15T01:00:00Z");
const FISCAL_2024 = { from: "2024-04-01T00:00:00+09:00", to: "2025-04-01T00:00:00+09:00" };

let stack: GroupsStack;
/** Member ids of the demo people the tests act as, by name. */
const memberIds = new Map<string, string>();
/** Group and board ids of the demo groups the tests use. */
const groupIds = new Map<string, { id: string; boardId: string }>();

beforeAll(async () => {
  stack = await startGroupsStack({ now: NOW, resourceCount: 150 });
  const coordinator = await signedIn({ role: "COORDINATOR", subject: "setup" });
  for (const name of ["つなぐ市介護支援専門員協議会", "つなぐ多職種連携の会", "つなぐ市医師会"]) {
    const answer = await stack.graphql(
      `query ($text: String) { groups(filter: { text: $text }, first: 1) { edges { node { id name board { id } members(first: 20) { edges { node { id name } } } } } } }`,
      { text: name },
      coordinator,
    );
    const group = data<{
      groups: { edges: { node: { id: string; name: string; board: { id: string }; members: { edges: { node: { id: string; name: string } }[] } } }[] };
    }>(answer.body).groups.edges[0]?.node;
    if (group === undefined || group.name !== name) throw new Error(`demo group ${name} not found`);
    groupIds.set(name, { id: group.id, boardId: group.board.id });
    for (const { node } of group.members.edges) memberIds.set(node.name, node.id);
  }
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

afterEach(() => {
  stack.pubsub.onPublish = async () => undefined;
});

function data<T>(body: GraphQLBody): T {
  if (body.errors !== undefined) throw new Error(`unexpected errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

function memberId(name: string): string {
  const id = memberIds.get(name);
  if (id === undefined) throw new Error(`no demo member ${name}`);
  return id;
}

function group(name: string): { id: string; boardId: string } {
  const found = groupIds.get(name);
  if (found === undefined) throw new Error(`no demo group ${name}`);
  return found;
}

/** Signed in as a demo member (a professional unless another role is given). */
function as(name: string, role: "PROFESSIONAL" | "COORDINATOR" = "PROFESSIONAL"): Promise<Record<string, string>> {
  return signedIn({ role, subject: `user-${memberId(name)}`, memberId: memberId(name), displayName: name });
}

const CAREMANE = "つなぐ市介護支援専門員協議会";
const NETWORK = "つなぐ多職種連携の会";

describe("members and staff across subgraphs", () => {
  test("a group's members come with their role, officers first, and their affiliation's fields from the resources subgraph", async () => {
    const answer = await stack.graphql(
      `query ($id: ID!) { group(id: $id) { kind contactWindow { name phone member { name } }
          members(first: 10) { totalCount edges { role node { name professionLabel affiliation { names { official } category { code } } } } } } }`,
      { id: group(CAREMANE).id },
      await as("山田 太郎"),
    );
    const { group: found } = data<{
      group: {
        kind: string;
        contactWindow: { name: string; phone: string; member: { name: string } };
        members: {
          totalCount: number;
          edges: { role: string; node: { name: string; professionLabel: string; affiliation: { names: { official: string }; category: { code: string } } } }[];
        };
      };
    }>(answer.body);
    expect(found.kind).toBe("PROFESSIONAL_ASSOCIATION");
    expect(found.contactWindow).toEqual({ name: "ケアマネ協議会事務局", phone: "0761-22-0404", member: { name: "伊藤 明美" } });
    expect(found.members.totalCount).toBe(4);
    expect(found.members.edges.map((edge) => [edge.role, edge.node.name])).toEqual([
      ["REPRESENTATIVE", "高橋 真由美"],
      ["SECRETARIAT", "伊藤 明美"],
      ["MEMBER", "渡辺 久美子"],
      ["MEMBER", "清水 幸子"],
    ]);
    for (const { node } of found.members.edges) {
      expect(node.affiliation.category.code).toBe("care-management");
      expect(node.affiliation.names.official).toEqual(expect.any(String));
    }
    expect(found.members.edges[0]?.node.professionLabel).toBe("主任介護支援専門員");
  });

  test("a resource's staff are the members affiliated with it, resolved by the groups subgraph (for professionals)", async () => {
    const takahashi = stack.affiliations.find((resource) => resource.category === "care-management");
    const answer = await stack.graphql(
      `query ($id: ID!) { resource(id: $id) { names { official } staff { name groups { role group { name } } } } }`,
      { id: takahashi?.id },
      await as("山田 太郎"),
    );
    const { resource } = data<{ resource: { names: { official: string }; staff: { name: string; groups: { role: string; group: { name: string } }[] }[] } }>(
      answer.body,
    );
    expect(resource.names.official).toBe(takahashi?.name);
    expect(resource.staff.map((member) => member.name)).toEqual(["高橋 真由美"]);
    expect(resource.staff[0]?.groups).toEqual(
      expect.arrayContaining([
        { role: "REPRESENTATIVE", group: { name: CAREMANE } },
        { role: "MEMBER", group: { name: NETWORK } },
      ]),
    );
  });

  test("the public sees names and organisations but no unpublished photo, phone numbers, e-mail addresses or hours not to call", async () => {
    const query = `query ($id: ID!) { member(id: $id) { name photoUrl workContact { phone email } avoidCallingHours { days from to reason } } }`;
    const publicView = data<{ member: { name: string; photoUrl: string; workContact: unknown } }>(
      (await stack.graphql(query, { id: memberId("高橋 真由美") })).body,
    );
    expect(publicView.member).toMatchObject({ name: "高橋 真由美", photoUrl: null, workContact: null, avoidCallingHours: [] });
    const professional = data<{ member: { photoUrl: string; workContact: { email: string }; avoidCallingHours: unknown[] } }>(
      (await stack.graphql(query, { id: memberId("高橋 真由美") }, await as("山田 太郎"))).body,
    );
    expect(professional.member.photoUrl).toBe("https://demo.tsunagu.example/photos/takahashi-mayumi.jpg");
    expect(professional.member.workContact.email).toBe("takahashi-mayumi@demo.tsunagu.example");
    expect(professional.member.avoidCallingHours).toEqual([{ days: ["WED"], from: "13:00", to: "17:00", reason: "担当者会議" }]);
    const window = await stack.graphql(`query ($id: ID!) { group(id: $id) { contactWindow { name phone email } } }`, { id: group(CAREMANE).id });
    expect(data<{ group: { contactWindow: unknown } }>(window.body).group.contactWindow).toEqual({ name: "ケアマネ協議会事務局", phone: null, email: null });
  });
});

interface DirectoryPage {
  contactDirectory: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: { name: string; district: string | null; category: string | null; members: { name: string; profession: string }[] } }[];
  };
}

const DIRECTORY = `query ($filter: ContactDirectoryFilter, $first: Int, $after: String) {
  contactDirectory(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { name district category members { name profession } } }
  }
}`;

async function directory(filter: Record<string, unknown>, first = 50, after?: string): Promise<DirectoryPage["contactDirectory"]> {
  return data<DirectoryPage>((await stack.graphql(DIRECTORY, { filter, first, after })).body).contactDirectory;
}

function names(page: DirectoryPage["contactDirectory"]): string[] {
  return page.edges.flatMap(({ node }) => node.members.map((member) => member.name)).sort();
}

describe("contact directory", () => {
  test("is grouped by organisation and filtered by district, profession and category", async () => {
    const everyone = await directory({});
    const people = names(everyone);
    expect(people.length).toBeGreaterThan(20);
    expect(everyone.totalCount).toBe(everyone.edges.length);
    const unaffiliated = everyone.edges[everyone.edges.length - 1]?.node;
    expect(unaffiliated).toMatchObject({ name: "所属なし", district: null, category: null });
    expect(unaffiliated?.members.map((member) => member.name)).toContain("村田 聡");

    const district = everyone.edges[0]?.node.district as string;
    const inDistrict = await directory({ districts: [district] });
    expect(inDistrict.edges.length).toBeGreaterThan(0);
    expect(inDistrict.edges.every(({ node }) => node.district === district)).toBe(true);
    expect(names(inDistrict)).toEqual(
      everyone.edges
        .filter(({ node }) => node.district === district)
        .flatMap(({ node }) => node.members.map((m) => m.name))
        .sort(),
    );

    const careManagers = await directory({ professions: ["CARE_MANAGER", "CHIEF_CARE_MANAGER"] });
    expect(names(careManagers)).toEqual(["伊藤 明美", "渡辺 久美子", "清水 幸子", "高橋 真由美"].sort());

    const pharmacies = await directory({ categories: ["pharmacy"] });
    expect(pharmacies.edges.every(({ node }) => node.category === "pharmacy")).toBe(true);
    expect(names(pharmacies)).toEqual(["西川 和也", "高田 恵子"].sort());

    const none = await directory({ categories: ["pharmacy"], professions: ["DENTIST"] });
    expect(none).toMatchObject({ totalCount: 0, edges: [] });
  });

  test("text matches names and readings whether typed in kana, katakana, half-width or kanji", async () => {
    for (const text of ["たかはし", "タカハシ", "ﾀｶﾊｼ", "高橋", "たかはし まゆみ"]) {
      expect(names(await directory({ text }))).toEqual(["高橋 真由美"]);
    }
    expect(names(await directory({ text: "やくざいし" }))).toEqual(["西川 和也", "高田 恵子"].sort());
  });

  test("pages through organisations with cursors bound to their filter; first is 0-100", async () => {
    const all = await directory({});
    const first = await directory({}, 3);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await directory({}, 3, first.pageInfo.endCursor as string);
    expect([...first.edges, ...second.edges].map(({ node }) => node.name)).toEqual(all.edges.slice(0, 6).map(({ node }) => node.name));
    const otherFilter = await stack.graphql(DIRECTORY, { filter: { categories: ["pharmacy"] }, first: 3, after: first.pageInfo.endCursor });
    expect(otherFilter.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    const countOnly = await directory({}, 0);
    expect(countOnly).toMatchObject({ totalCount: all.totalCount, edges: [], pageInfo: { hasNextPage: true } });
    const tooMany = await stack.graphql(DIRECTORY, { first: 101 });
    expect(codes(tooMany.body)).toEqual(["BAD_USER_INPUT"]);
    expect(tooMany.body.errors?.[0]?.extensions?.field).toBe("first");
    const badCursor = await stack.graphql(DIRECTORY, { after: "not-a-cursor" });
    expect(badCursor.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
  });

  test("downloads as CSV with a BOM for Excel; phone and e-mail columns only for professionals", async () => {
    const query = `query ($filter: ContactDirectoryFilter) { contactDirectoryCsv(filter: $filter) }`;
    const filter = { professions: ["CARE_MANAGER", "CHIEF_CARE_MANAGER"] };
    const csv = data<{ contactDirectoryCsv: string }>((await stack.graphql(query, { filter }, await as("山田 太郎"))).body).contactDirectoryCsv;
    expect(
      csv.startsWith(
        "\uFEFF日常生活圏域,分類,事業所名,事業所名（よみ）,氏名,氏名（よみ）,職種,役職・担当,電話番号,メールアドレス,連絡を避けてほしい時間,顔写真URL\r\n",
      ),
    ).toBe(true);
    const rows = csv.slice(1).trimEnd().split("\r\n");
    expect(rows).toHaveLength(5);
    const takahashi = rows.find((row) => row.includes("高橋 真由美"))?.split(",");
    expect(takahashi?.slice(2, 3)).toEqual([expect.stringMatching(/.+/)]);
    expect(takahashi?.slice(1, 2)).toEqual(["居宅介護支援事業所"]);
    expect(takahashi?.slice(4)).toEqual([
      "高橋 真由美",
      "タカハシ マユミ",
      "主任介護支援専門員",
      "管理者",
      expect.stringMatching(/^0761-2\d-\d{4}$/),
      "takahashi-mayumi@demo.tsunagu.example",
      "水 13:00-17:00（担当者会議）",
      "https://demo.tsunagu.example/photos/takahashi-mayumi.jpg",
    ]);

    const publicCsv = data<{ contactDirectoryCsv: string }>((await stack.graphql(query, { filter })).body).contactDirectoryCsv;
    expect(publicCsv.split("\r\n")[0]).toBe(
      "\uFEFF日常生活圏域,分類,事業所名,事業所名（よみ）,氏名,氏名（よみ）,職種,役職・担当,連絡を避けてほしい時間,顔写真URL",
    );
    expect(publicCsv).not.toMatch(/0761-|@demo\.tsunagu\.example/);
  });

  test("prints as an HTML page with photos beside names; contacts only for professionals", async () => {
    const query = `query ($filter: ContactDirectoryFilter, $title: String) { contactDirectoryHtml(filter: $filter, title: $title) }`;
    const filter = { categories: ["care-management"] };
    const html = data<{ contactDirectoryHtml: string }>(
      (await stack.graphql(query, { filter, title: "ケアマネ <連絡先>" }, await as("山田 太郎"))).body,
    ).contactDirectoryHtml;
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="ja">')).toBe(true);
    expect(html).toContain("<h1>ケアマネ &lt;連絡先&gt;</h1>");
    expect(html).toContain('<img class="photo" src="https://demo.tsunagu.example/photos/takahashi-mayumi.jpg" alt="高橋 真由美さんの顔写真"');
    expect(html).toContain("連絡を避けてほしい時間: 水 13:00-17:00（担当者会議）");
    expect(html).toContain("メール takahashi-mayumi@demo.tsunagu.example");
    expect(html).toContain("@media print");
    expect(html).toMatch(/\d+事業所 4名/);
    const publicHtml = data<{ contactDirectoryHtml: string }>((await stack.graphql(query, { filter })).body).contactDirectoryHtml;
    expect(publicHtml).toContain("高橋 真由美");
    expect(publicHtml).not.toMatch(/電話 |メール /);
  });
});

const BOARD_POSTS = `query ($id: ID!) { board(id: $id) { name visibility posts(first: 10) { edges { node { id title pinned urgent author { name } } } } } }`;

interface BoardPosts {
  board: {
    name: string;
    visibility: string;
    posts: { edges: { node: { id: string; title: string; pinned: boolean; urgent: boolean; author: { name: string } } }[] };
  };
}

async function boardPosts(boardId: string, headers: Record<string, string> = {}) {
  return stack.graphql(BOARD_POSTS, { id: boardId }, headers);
}

/** The id of the demo post on a board whose title contains `title`. */
async function findPostId(boardId: string, title: string): Promise<string> {
  const answer = await boardPosts(boardId, await signedIn({ role: "COORDINATOR", subject: "city-staff" }));
  const id = data<BoardPosts>(answer.body).board.posts.edges.find(({ node }) => node.title.includes(title))?.node.id;
  if (id === undefined) throw new Error(`no post 「${title}」 on board ${boardId}`);
  return id;
}

const TRAINING = "顔の見える多職種連携研修会";

describe("boards", () => {
  test("a private board's posts are refused to a non-member (FORBIDDEN) and to the public (UNAUTHENTICATED)", async () => {
    const { boardId } = group(CAREMANE);
    const renrakuhyo = await findPostId(boardId, "入退院連絡票の運用ルール改訂");
    const outsider = await as("山田 太郎");
    const listed = await boardPosts(boardId, outsider);
    expect(codes(listed.body)).toEqual(["FORBIDDEN"]);
    expect(listed.body.errors?.[0]?.message).not.toContain(CAREMANE);
    expect(codes((await stack.graphql(`query ($id: ID!) { post(id: $id) { title } }`, { id: renrakuhyo }, outsider)).body)).toEqual(["FORBIDDEN"]);
    expect(codes((await stack.graphql(`query ($id: ID!) { post(id: $id) { title } }`, { id: renrakuhyo })).body)).toEqual(["UNAUTHENTICATED"]);
    const comment = await stack.graphql(`query ($id: ID!) { post(id: $id) { comments { edges { node { id } } } } }`, { id: renrakuhyo }, await as("伊藤 明美"));
    expect(comment.body.errors).toBeUndefined();
  });

  test("a member and a coordinator see the private board, pinned posts first", async () => {
    const { boardId } = group(CAREMANE);
    for (const headers of [await as("伊藤 明美"), await signedIn({ role: "COORDINATOR", subject: "city-staff" })]) {
      const { board } = data<BoardPosts>((await boardPosts(boardId, headers)).body);
      expect(board.visibility).toBe("PRIVATE");
      expect(board.posts.edges[0]?.node).toMatchObject({
        title: "入退院連絡票の運用ルール改訂（退院5日前までの連絡）",
        pinned: true,
        author: { name: "高橋 真由美" },
      });
    }
  });

  test("a public board is readable by everyone, urgent notices included", async () => {
    const { board } = data<BoardPosts>((await boardPosts(group(NETWORK).boardId)).body);
    expect(board.visibility).toBe("PUBLIC");
    const titles = board.posts.edges.map(({ node }) => node.title);
    expect(titles[0]).toContain(TRAINING);
    expect(board.posts.edges.find(({ node }) => node.urgent)?.node.title).toBe("【緊急】大雪に伴う訪問の調整について");
  });
});

describe("read acknowledgements", () => {
  const READ_STATUS = `query ($id: ID!) { post(id: $id) { acknowledgedByMe readBy { member { name } acknowledgedAt } notReadBy { name } } }`;

  test("members see who has read a post and who has not; acknowledging twice counts once", async () => {
    const training = await findPostId(group(NETWORK).boardId, TRAINING);
    const sato = await as("佐藤 裕子");
    const before = data<{ post: { acknowledgedByMe: boolean; readBy: { member: { name: string } }[]; notReadBy: { name: string }[] } }>(
      (await stack.graphql(READ_STATUS, { id: training }, sato)).body,
    ).post;
    expect(before.acknowledgedByMe).toBe(false);
    expect(before.readBy.map((read) => read.member.name)).toEqual(["山田 太郎", "宮本 由美", "高橋 真由美", "小林 直美", "高田 恵子"]);
    expect(before.notReadBy.map((member) => member.name)).toEqual(["佐藤 裕子", "前田 千尋", "池田 陽子", "吉田 直樹", "竹内 博之"]);

    const acknowledge = `mutation ($id: ID!) { acknowledgePost(postId: $id) { acknowledgedByMe } }`;
    for (let press = 0; press < 2; press++) {
      expect(
        data<{ acknowledgePost: { acknowledgedByMe: boolean } }>((await stack.graphql(acknowledge, { id: training }, sato)).body).acknowledgePost
          .acknowledgedByMe,
      ).toBe(true);
    }
    const after = data<{ post: { readBy: { member: { name: string } }[]; notReadBy: { name: string }[] } }>(
      (await stack.graphql(READ_STATUS, { id: training }, sato)).body,
    ).post;
    expect(after.readBy.map((read) => read.member.name)).toEqual(["山田 太郎", "宮本 由美", "高橋 真由美", "小林 直美", "高田 恵子", "佐藤 裕子"]);
    expect(after.notReadBy.map((member) => member.name)).toEqual(["前田 千尋", "池田 陽子", "吉田 直樹", "竹内 博之"]);
  });

  test("read status is refused to non-members, and only members may acknowledge", async () => {
    const training = await findPostId(group(NETWORK).boardId, TRAINING);
    const publicRead = await stack.graphql(`query ($id: ID!) { post(id: $id) { title readBy { acknowledgedAt } } }`, { id: training });
    expect(publicRead.body.data?.post).toEqual({ title: expect.any(String), readBy: null });
    expect(codes(publicRead.body)).toEqual(["UNAUTHENTICATED"]);
    const outsider = await as("伊藤 明美");
    const refused = await stack.graphql(`mutation ($id: ID!) { acknowledgePost(postId: $id) { id } }`, { id: training }, outsider);
    expect(codes(refused.body)).toEqual(["FORBIDDEN"]);
  });
});

describe("consultation desk log", () => {
  const STATS = `query ($from: DateTime!, $to: DateTime!) { consultationStats(from: $from, to: $to) {
    total byCategory { category count } byChannel { channel count } byChannelCombination { channels count } } }`;

  test("figures by category and channel for fiscal 2024 are Team Kamaishi's (n=58)", async () => {
    const answer = await stack.graphql(STATS, FISCAL_2024, await signedIn({ role: "COORDINATOR", subject: "city-staff" }));
    const { consultationStats: stats } = data<{
      consultationStats: {
        total: number;
        byCategory: { category: string; count: number }[];
        byChannel: { channel: string; count: number }[];
        byChannelCombination: { channels: string[]; count: number }[];
      };
    }>(answer.body);
    expect(stats.total).toBe(58);
    expect(Object.fromEntries(stats.byCategory.map((row) => [row.category, row.count]))).toEqual(DEMO_CONSULTATION_FIGURES.byCategory);
    expect(stats.byCategory.map((row) => row.count)).toEqual([6, 6, 37, 4, 4, 1]);
    expect(stats.byChannel).toEqual([
      { channel: "PHONE", count: 44 },
      { channel: "EMAIL", count: 12 },
      { channel: "IN_PERSON", count: 4 },
      { channel: "LETTER", count: 1 },
      { channel: "ONLINE", count: 0 },
    ]);
    expect(stats.byChannelCombination).toEqual([
      { channels: ["PHONE"], count: 41 },
      { channels: ["EMAIL"], count: 9 },
      { channels: ["IN_PERSON"], count: 4 },
      { channels: ["PHONE", "EMAIL"], count: 3 },
      { channels: ["LETTER"], count: 1 },
    ]);
    const thisYear = data<{ consultationStats: { total: number } }>(
      (await stack.graphql(STATS, { from: FISCAL_2024.to, to: NOW.toISOString() }, await signedIn({ role: "ADMIN", subject: "admin" }))).body,
    );
    expect(thisYear.consultationStats.total).toBe(2);
  });

  test("the log and its figures are for coordinators and administrators only", async () => {
    expect(codes((await stack.graphql(STATS, FISCAL_2024, await as("山田 太郎"))).body)).toEqual(["FORBIDDEN"]);
    expect(codes((await stack.graphql(STATS, FISCAL_2024)).body)).toEqual(["UNAUTHENTICATED"]);
    expect(codes((await stack.graphql(`{ consultations { totalCount } }`, {}, await as("山田 太郎"))).body)).toEqual(["FORBIDDEN"]);
    const reversed = await stack.graphql(STATS, { from: FISCAL_2024.to, to: FISCAL_2024.from }, await signedIn({ role: "COORDINATOR", subject: "c" }));
    expect(reversed.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "to" });
  });

  test("recording a consultation twice with one key logs it once, handled by the recording coordinator", async () => {
    const okada = await as("岡田 花子", "COORDINATOR");
    const record = `mutation ($input: RecordConsultationInput!, $key: String!) { recordConsultation(input: $input, idempotencyKey: $key) {
      id channels category status handledBy { name } requester { profession organizationName } } }`;
    const input = {
      receivedAt: "2025-06-10T10:30:00+09:00",
      channels: ["EMAIL", "PHONE"],
      requester: { profession: "MEDICAL_SOCIAL_WORKER", organizationName: "つなぐ中央病院 地域医療連携室" },
      category: "INTERPROFESSIONAL_COLLABORATION",
      summary: "退院前カンファレンスにケアマネジャーが参加しやすい時間帯を相談したい",
    };
    const first = data<{ recordConsultation: { id: string; channels: string[]; handledBy: { name: string }; status: string } }>(
      (await stack.graphql(record, { input, key: "consult-2025-06-10-a" }, okada)).body,
    );
    const again = data<{ recordConsultation: { id: string } }>((await stack.graphql(record, { input, key: "consult-2025-06-10-a" }, okada)).body);
    expect(again.recordConsultation.id).toBe(first.recordConsultation.id);
    expect(first.recordConsultation).toMatchObject({ channels: ["PHONE", "EMAIL"], status: "OPEN", handledBy: { name: "岡田 花子" } });
    const listed = data<{ consultations: { totalCount: number } }>(
      (await stack.graphql(`{ consultations(filter: { from: "2025-06-10T00:00:00+09:00", to: "2025-06-11T00:00:00+09:00" }) { totalCount } }`, {}, okada)).body,
    );
    expect(listed.consultations.totalCount).toBe(1);
    const noChannel = await stack.graphql(record, { input: { ...input, channels: [] }, key: "consult-2025-06-10-b" }, okada);
    expect(noChannel.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.channels" });
    const badDate = await stack.graphql(record, { input: { ...input, receivedAt: "yesterday" }, key: "consult-2025-06-10-c" }, okada);
    expect(badDate.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.receivedAt" });
  });
});

const CREATE_POST = `mutation ($input: CreatePostInput!, $key: String!) { createPost(input: $input, idempotencyKey: $key) { id title tags pinned board { id } author { name } } }`;

describe("writing on a board", () => {
  test("bad input gets clear, coded errors naming the field", async () => {
    const { boardId } = group(CAREMANE);
    const ito = await as("伊藤 明美");
    const attempt = (input: Record<string, unknown>, key = `bad-${Math.random().toString(36).slice(2)}`) =>
      stack.graphql(CREATE_POST, { input: { boardId, title: "連絡", body: "本文", ...input }, key }, ito);

    const emptyTitle = await attempt({ title: "   " });
    expect(emptyTitle.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.title" });
    expect(emptyTitle.body.errors?.[0]?.message).toContain("空にできません");
    const oversized = await attempt({ body: "あ".repeat(10_001) });
    expect(oversized.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.body" });
    expect(oversized.body.errors?.[0]?.message).toContain("10000");
    // An unknown board is refused like a board of another group (see no-existence-oracle.test.ts).
    const unknownBoard = await attempt({ boardId: new Types.ObjectId().toHexString() });
    expect(unknownBoard.body.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN" });
    expect(unknownBoard.body.errors?.[0]?.message).toContain("only the group's members may write here");
    const malformed = await attempt({ boardId: "board-1" });
    expect(malformed.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.boardId" });
    const badUrl = await attempt({ attachments: ["javascript:alert(1)"] });
    expect(badUrl.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.attachments.0" });
    const badKey = await attempt({}, "x");
    expect(badKey.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "idempotencyKey" });
    const malformedLookup = await stack.graphql(`{ post(id: "xyz") { id } }`);
    expect(malformedLookup.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    expect(stack.pubsub.events.filter((event) => event.topic === `board:${boardId}`)).toEqual([]);
  });

  test("posting needs membership, and pinning needs an officer of the group", async () => {
    const { boardId } = group(CAREMANE);
    const input = { boardId, title: "研修のお知らせ", body: "来月の研修会です。" };
    expect(codes((await stack.graphql(CREATE_POST, { input, key: "outsider-post-1" }, await as("山田 太郎"))).body)).toEqual(["FORBIDDEN"]);
    expect(codes((await stack.graphql(CREATE_POST, { input, key: "public-post-1" })).body)).toEqual(["UNAUTHENTICATED"]);
    const pinnedByMember = await stack.graphql(CREATE_POST, { input: { ...input, pinned: true }, key: "member-pin-1" }, await as("渡辺 久美子"));
    expect(codes(pinnedByMember.body)).toEqual(["FORBIDDEN"]);
    const pinnedBySecretariat = await stack.graphql(CREATE_POST, { input: { ...input, pinned: true }, key: "secretariat-pin-1" }, await as("伊藤 明美"));
    expect(data<{ createPost: { pinned: boolean } }>(pinnedBySecretariat.body).createPost.pinned).toBe(true);
  });

  test("a retried create with the same idempotency key returns the first post and publishes once; other input with that key is a CONFLICT", async () => {
    const { boardId } = group(CAREMANE);
    const takahashi = await as("高橋 真由美");
    const input = {
      boardId,
      title: "事例検討会の資料",
      body: "資料を添付します。",
      tags: ["事例検討", "事例検討"],
      attachments: ["https://files.tsunagu.example/case-2025-06.pdf"],
    };
    const first = data<{ createPost: { id: string; tags: string[]; author: { name: string } } }>(
      (await stack.graphql(CREATE_POST, { input, key: "retry-post-0001" }, takahashi)).body,
    );
    const retried = data<{ createPost: { id: string } }>((await stack.graphql(CREATE_POST, { input, key: "retry-post-0001" }, takahashi)).body);
    expect(retried.createPost.id).toBe(first.createPost.id);
    expect(first.createPost).toMatchObject({ tags: ["事例検討"], author: { name: "高橋 真由美" } });
    const { board } = data<BoardPosts>((await boardPosts(boardId, takahashi)).body);
    expect(board.posts.edges.filter(({ node }) => node.title === "事例検討会の資料")).toHaveLength(1);
    expect(stack.pubsub.events.filter((event) => event.payload.postId === first.createPost.id)).toHaveLength(1);
    const reused = await stack.graphql(CREATE_POST, { input: { ...input, title: "別の件名" }, key: "retry-post-0001" }, takahashi);
    expect(reused.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "idempotencyKey" });
  });

  test("postAdded, postUpdated and commentAdded are published after the write is committed", async () => {
    const { boardId } = group(NETWORK);
    const kobayashi = await as("小林 直美");
    const committed = groupsModels(stack.engine.connection);
    const seen: { event: DomainEvent; found: boolean }[] = [];
    stack.pubsub.onPublish = async (event) => {
      const found =
        event.type === "commentAdded"
          ? (await committed.Comment.exists({ _id: event.payload.commentId as string })) !== null
          : (await committed.Post.exists({ _id: event.payload.postId as string, title: "訪問調整の結果" })) !== null;
      seen.push({ event, found });
    };
    const created = data<{ createPost: { id: string } }>(
      (
        await stack.graphql(
          CREATE_POST,
          { input: { boardId, title: "訪問調整の結果", body: "全員の安否を確認しました。", urgent: true }, key: "event-post-0001" },
          kobayashi,
        )
      ).body,
    ).createPost;
    const postId = created.id;
    await stack.graphql(
      `mutation ($id: ID!) { updatePost(id: $id, input: { body: "全員の安否を確認しました。停電はありません。" }) { id editedAt } }`,
      { id: postId },
      kobayashi,
    );
    const comment = data<{ addComment: { id: string; post: { id: string } } }>(
      (
        await stack.graphql(
          `mutation ($input: AddCommentInput!) { addComment(input: $input, idempotencyKey: "event-comment-0001") { id post { id } } }`,
          { input: { postId, body: "ありがとうございます。" } },
          await as("高橋 真由美"),
        )
      ).body,
    ).addComment;
    expect(seen).toEqual([
      { event: { type: "postAdded", topic: `board:${boardId}`, payload: { postId, boardId } }, found: true },
      { event: { type: "postUpdated", topic: `board:${boardId}`, payload: { postId, boardId } }, found: true },
      { event: { type: "commentAdded", topic: `post:${postId}`, payload: { commentId: comment.id, postId, boardId } }, found: true },
    ]);
    const edited = data<{ post: { body: string; editedAt: string; comments: { edges: { node: { body: string; author: { name: string } } }[] } } }>(
      (await stack.graphql(`query ($id: ID!) { post(id: $id) { body editedAt comments { edges { node { body author { name } } } } } }`, { id: postId })).body,
    ).post;
    expect(edited.body).toContain("停電はありません");
    expect(edited.editedAt).toEqual(expect.any(String));
    expect(edited.comments.edges.map(({ node }) => [node.author.name, node.body])).toEqual([["高橋 真由美", "ありがとうございます。"]]);
  });

  test("a post may be edited by its author and the group's officers only", async () => {
    const { boardId } = group(NETWORK);
    const created = data<{ createPost: { id: string } }>(
      (
        await stack.graphql(
          CREATE_POST,
          { input: { boardId, title: "勉強会の感想", body: "参考になりました。" }, key: "edit-rights-0001" },
          await as("前田 千尋"),
        )
      ).body,
    ).createPost;
    const edit = `mutation ($id: ID!, $input: UpdatePostInput!) { updatePost(id: $id, input: $input) { title pinned } }`;
    expect(codes((await stack.graphql(edit, { id: created.id, input: { title: "変更" } }, await as("池田 陽子"))).body)).toEqual(["FORBIDDEN"]);
    expect(codes((await stack.graphql(edit, { id: created.id, input: { pinned: true } }, await as("前田 千尋"))).body)).toEqual(["FORBIDDEN"]);
    const byOrganizer = await stack.graphql(edit, { id: created.id, input: { pinned: true } }, await as("宮本 由美"));
    expect(data<{ updatePost: { pinned: boolean } }>(byOrganizer.body).updatePost.pinned).toBe(true);
    const cleared = await stack.graphql(edit, { id: created.id, input: { title: null } }, await as("前田 千尋"));
    expect(cleared.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.title" });
  });
});

/** The member id of a demo person who is in none of the groups looked up in beforeAll. */
async function memberIdOf(name: string): Promise<string> {
  const known = memberIds.get(name);
  if (known !== undefined) return known;
  const answer = await stack.graphql(`query ($text: String) { contactDirectory(filter: { text: $text }) { edges { node { members { id name } } } } }`, {
    text: name,
  });
  const found = data<{ contactDirectory: { edges: { node: { members: { id: string; name: string }[] } }[] } }>(answer.body)
    .contactDirectory.edges.flatMap(({ node }) => node.members)
    .find((member) => member.name === name);
  if (found === undefined) throw new Error(`no demo member ${name}`);
  return found.id;
}

describe("keeping the directory up to date", () => {
  test("a coordinator registers a member once per key; they appear in their resource's staff and the directory; they update their own phone", async () => {
    const coordinator = await signedIn({ role: "COORDINATOR", subject: "city-staff" });
    const office = stack.affiliations.find((resource) => resource.category === "pharmacy") ?? stack.affiliations[0];
    const input = {
      name: "新井 さくら",
      kana: "アライ サクラ",
      profession: "PHARMACIST",
      title: "在宅訪問担当",
      affiliation: {
        resourceId: office?.id,
        name: office?.name,
        kana: office?.kana,
        district: office?.district,
        category: office?.category,
        categoryLabel: office?.categoryLabel,
      },
      photoUrl: "https://demo.tsunagu.example/photos/arai-sakura.jpg",
      workContact: { phone: "０７６１－２２－９９９９" },
      avoidCallingHours: [{ days: ["SAT"], from: "09:00", to: "12:00", reason: "外来が混む" }],
    };
    const create = `mutation ($input: CreateMemberInput!) { createMember(input: $input, idempotencyKey: "member-arai-0001") { id workContact { phone } } }`;
    const created = data<{ createMember: { id: string; workContact: { phone: string } } }>(
      (await stack.graphql(create, { input }, coordinator)).body,
    ).createMember;
    expect(created.workContact.phone).toBe("0761-22-9999");
    expect(data<{ createMember: { id: string } }>((await stack.graphql(create, { input }, coordinator)).body).createMember.id).toBe(created.id);
    expect(codes((await stack.graphql(create, { input }, await as("山田 太郎"))).body)).toEqual(["FORBIDDEN"]);

    const staff = data<{ resource: { staff: { name: string }[] } }>(
      (await stack.graphql(`query ($id: ID!) { resource(id: $id) { staff { name } } }`, { id: office?.id }, coordinator)).body,
    );
    expect(staff.resource.staff.map((member) => member.name)).toContain("新井 さくら");
    expect(names(await directory({ text: "あらい" }))).toEqual(["新井 さくら"]);

    const self = await signedIn({ role: "PROFESSIONAL", subject: "arai", memberId: created.id });
    const update = `mutation ($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { workContact { phone } title } }`;
    const updated = data<{ updateMember: { workContact: { phone: string }; title: string | null } }>(
      (await stack.graphql(update, { id: created.id, input: { workContact: { phone: "0761-22-1000" }, title: null } }, self)).body,
    );
    expect(updated.updateMember).toEqual({ workContact: { phone: "0761-22-1000" }, title: null });
    expect(codes((await stack.graphql(update, { id: created.id, input: { title: "x" } }, await as("山田 太郎"))).body)).toEqual(["FORBIDDEN"]);
    expect((await stack.graphql(update, { id: created.id, input: { kana: "新井" } }, self)).body.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.kana",
    });
  });

  test("a group's officers add members and change roles; ordinary members may not", async () => {
    const caremane = group(CAREMANE);
    const set = `mutation ($groupId: ID!, $memberId: ID!, $role: GroupRole) { setGroupMembership(groupId: $groupId, memberId: $memberId, role: $role) { members(first: 20) { totalCount edges { role node { name } } } } }`;
    const newcomer = await memberIdOf("西川 和也");
    expect(codes((await stack.graphql(set, { groupId: caremane.id, memberId: newcomer, role: "MEMBER" }, await as("渡辺 久美子"))).body)).toEqual([
      "FORBIDDEN",
    ]);
    const added = data<{ setGroupMembership: { members: { totalCount: number; edges: { role: string; node: { name: string } }[] } } }>(
      (await stack.graphql(set, { groupId: caremane.id, memberId: newcomer, role: "ORGANIZER" }, await as("高橋 真由美"))).body,
    ).setGroupMembership.members;
    expect(added.totalCount).toBe(5);
    expect(added.edges.map((edge) => [edge.role, edge.node.name]).slice(0, 3)).toEqual([
      ["REPRESENTATIVE", "高橋 真由美"],
      ["ORGANIZER", "西川 和也"],
      ["SECRETARIAT", "伊藤 明美"],
    ]);
    const removed = data<{ setGroupMembership: { members: { totalCount: number } } }>(
      (await stack.graphql(set, { groupId: caremane.id, memberId: newcomer, role: null }, await signedIn({ role: "COORDINATOR", subject: "c" }))).body,
    ).setGroupMembership.members;
    expect(removed.totalCount).toBe(4);
  });
});

describe("live updates through the gateway (graphql-ws)", () => {
  const opened: WsConnection[] = [];

  afterEach(async () => {
    await Promise.all(
      opened.splice(0).map(async (connection) => {
        await connection.client.dispose();
      }),
    );
  });

  function connect(headers: Record<string, string>): WsConnection {
    const connection = connectWs(stack.gateway.url, headers);
    opened.push(connection);
    return connection;
  }

  async function listening(topic: string, count: number): Promise<void> {
    for (let waited = 0; stack.pubsub.listenerCount(topic) < count; waited += 10) {
      if (waited > 2000) throw new Error(`nobody listens to ${topic}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  test("a member receives a new post on the group's private board with fields of both subgraphs; a non-member is refused when subscribing", async () => {
    const { boardId } = group(CAREMANE);
    const query = `subscription ($board: ID!) { postAdded(boardId: $board) { title urgent author { name affiliation { names { official } } } } }`;
    const member = new LiveSubscription(connect(await as("高橋 真由美")).client, { query, variables: { board: boardId } });
    const outsider = new LiveSubscription(connect(await as("山田 太郎")).client, { query, variables: { board: boardId } });
    expect(await outsider.error()).toEqual([{ message: expect.stringContaining("for its group's members only"), extensions: { code: "FORBIDDEN" } }]);
    await listening(`board:${boardId}`, 1);

    const ito = await as("伊藤 明美");
    const input = { boardId, title: "【緊急】担当者会議の会場変更", body: "本日の会議は2階研修室に変更します。", urgent: true };
    await stack.graphql(CREATE_POST, { input, key: "live-post-0001" }, ito);
    const office = data<{ member: { affiliation: { names: { official: string } } } }>(
      (await stack.graphql(`query ($id: ID!) { member(id: $id) { affiliation { names { official } } } }`, { id: memberId("伊藤 明美") })).body,
    ).member.affiliation.names.official;
    expect(await member.next()).toEqual({
      data: { postAdded: { title: input.title, urgent: true, author: { name: "伊藤 明美", affiliation: { names: { official: office } } } } },
    });
  });

  test("comments on a post arrive for those who may read it", async () => {
    const training = await findPostId(group(NETWORK).boardId, TRAINING);
    const watcher = new LiveSubscription(connect({}).client, {
      query: `subscription ($post: ID!) { commentAdded(postId: $post) { body author { name } post { title } } }`,
      variables: { post: training },
    });
    await listening(`post:${training}`, 1);
    await stack.graphql(
      `mutation ($input: AddCommentInput!) { addComment(input: $input, idempotencyKey: "live-comment-0001") { id } }`,
      { input: { postId: training, body: "会場の駐車場は使えますか。" } },
      await as("前田 千尋"),
    );
    expect(await watcher.next()).toEqual({
      data: { commentAdded: { body: "会場の駐車場は使えますか。", author: { name: "前田 千尋" }, post: { title: expect.stringContaining(TRAINING) } } },
    });
  });
});

describe("batched entities", () => {
  /** Sends `_entities` straight to the groups subgraph, signed as the gateway would. */
  function entities(representations: unknown[], selection: string, identity: Identity = PUBLIC_IDENTITY) {
    return postAsGateway(
      stack.groups.url,
      "groups",
      { query: `query ($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } }`, variables: { representations } },
      identity,
    );
  }

  function finds(collection: string): number {
    return stack.commands.filter((command) => command.commandName === "find" && command.command.find === collection).length;
  }

  test("_entities for 100 members costs one query", async () => {
    const models = groupsModels(stack.engine.connection);
    const extra = Array.from({ length: 100 }, (_, index) => ({
      name: `テスト 利用者${index}`,
      kana: `テスト リヨウシャ${index}`,
      profession: "CARE_WORKER",
      sortKey: `てすと${index}`,
      avoidCallingHours: [],
      searchKeys: [],
    }));
    const inserted = await models.Member.insertMany(extra);
    const representations = inserted.map((member) => ({ __typename: "Member", id: member._id.toHexString() }));
    stack.commands.length = 0;
    const answer = await entities(representations, "... on Member { id name professionLabel }");
    const found = data<{ _entities: { id: string; name: string }[] }>(answer.body)._entities;
    expect(found).toHaveLength(100);
    expect(found.map((member) => member.id)).toEqual(representations.map((representation) => representation.id));
    expect(finds("members")).toBe(1);
    expect(stack.commands).toHaveLength(1);
    // The search keys resolve no field, so they are not read.
    expect(stack.commands[0].command.projection).toEqual({ searchKeys: 0 });
  });

  test("_entities for 100 resources' staff costs one query", async () => {
    const representations = stack.affiliations.slice(0, 100).map((resource) => ({ __typename: "Resource", id: resource.id }));
    expect(representations).toHaveLength(100);
    stack.commands.length = 0;
    const answer = await entities(representations, "... on Resource { id staff { name } }", {
      role: "PROFESSIONAL",
      authMethod: "jwt",
      subject: "pro-entities",
      scopes: [],
    });
    const found = data<{ _entities: { id: string; staff: { name: string }[] }[] }>(answer.body)._entities;
    expect(found).toHaveLength(100);
    expect(found.some((resource) => resource.staff.length > 0)).toBe(true);
    expect(stack.commands).toHaveLength(1);
  });
});
