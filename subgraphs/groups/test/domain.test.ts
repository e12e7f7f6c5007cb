// Input validation and cursors: errors are BAD_USER_INPUT naming the offending field; cursors round-trip and foreign ones are refused.
import { GraphQLError } from "graphql";
import { Types } from "mongoose";
import { createMemberSchema, createPostSchema, parseId, parseInput, recordConsultationSchema } from "../src/domain";
import { afterFilter, decodeCursor, encodeCursor, pageSize } from "../src/pagination";

function refusal(run: () => unknown): { message: string; extensions: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    if (error instanceof GraphQLError) return { message: error.message, extensions: { ...error.extensions } };
    throw error;
  }
  throw new Error("expected a refusal");
}

test("a post's fields are trimmed and defaulted, and tags de-duplicated", () => {
  const boardId = new Types.ObjectId().toHexString().toUpperCase();
  expect(parseInput(createPostSchema, { boardId, title: "  お知らせ ", body: "本文", tags: ["研修", "研修"] }, "input")).toEqual({
    boardId: boardId.toLowerCase(),
    title: "お知らせ",
    body: "本文",
    tags: ["研修"],
    attachments: [],
    pinned: false,
    urgent: false,
  });
});

test("the first problem is reported with its dotted field path", () => {
  const boardId = new Types.ObjectId().toHexString();
  expect(refusal(() => parseInput(createPostSchema, { boardId, title: "件名", body: "x".repeat(10_001) }, "input")).extensions).toEqual({
    code: "BAD_USER_INPUT",
    field: "input.body",
  });
  const member = { name: "山田 花子", kana: "ヤマダ ハナコ", profession: "NURSE" };
  expect(refusal(() => parseInput(createMemberSchema, { ...member, kana: "山田" }, "input")).extensions.field).toBe("input.kana");
  expect(refusal(() => parseInput(createMemberSchema, { ...member, workContact: { phone: "電話してね" } }, "input")).extensions.field).toBe("input.workContact.phone");
  const window = { from: "13:00", to: "12:00" };
  expect(refusal(() => parseInput(createMemberSchema, { ...member, avoidCallingHours: [window] }, "input")).extensions.field).toBe("input.avoidCallingHours.0.to");
  expect(refusal(() => parseId("12345", "memberId")).extensions).toEqual({ code: "BAD_USER_INPUT", field: "memberId" });
});

test("phone numbers typed in full width are normalised, consultations need a channel and an offset date-time", () => {
  const member = parseInput(createMemberSchema, { name: "山田 花子", kana: "やまだ はなこ", profession: "NURSE", workContact: { phone: "０７６１（２２）１２３４ 内線 305" } }, "input");
  expect(member.workContact?.phone).toBe("0761(22)1234 内線 305");
  const consultation = { receivedAt: "2025-04-01T09:00:00+09:00", channels: ["PHONE"], requester: {}, category: "OTHER", summary: "問合せ" };
  expect(parseInput(recordConsultationSchema, consultation, "input").receivedAt).toEqual(new Date("2025-04-01T00:00:00Z"));
  expect(refusal(() => parseInput(recordConsultationSchema, { ...consultation, receivedAt: "2025-04-01 09:00" }, "input")).extensions.field).toBe("input.receivedAt");
  expect(refusal(() => parseInput(recordConsultationSchema, { ...consultation, channels: ["PHONE", "PHONE"] }, "input")).extensions.field).toBe("input.channels");
});

describe("cursors", () => {
  test("round-trip strings, booleans, dates and ObjectIds", () => {
    const id = new Types.ObjectId();
    const at = new Date("2025-06-15T01:00:00Z");
    const [pinned, createdAt, decodedId] = decodeCursor(encodeCursor([true, at, id]), ["boolean", "date", "objectId"]);
    expect(pinned).toBe(true);
    expect(createdAt).toEqual(at);
    expect(decodedId.equals(id)).toBe(true);
  });

  test("a cursor of another shape or from elsewhere is BAD_USER_INPUT on `after`", () => {
    const shortCursor = encodeCursor(["さくら"]);
    for (const cursor of ["", "!!!", shortCursor, encodeCursor(["a", "not-an-id"])]) {
      expect(refusal(() => decodeCursor(cursor, ["string", "objectId"])).extensions).toEqual({ code: "BAD_USER_INPUT", field: "after" });
    }
  });

  test("resuming after a row means a greater first key, or equal and a greater next key", () => {
    const filter = afterFilter(
      [
        { path: "pinned", direction: -1 },
        { path: "createdAt", direction: -1 },
      ],
      [false, new Date(0)],
    );
    expect(JSON.parse(JSON.stringify(filter))).toEqual({
      $or: [{ pinned: { $lt: false } }, { pinned: false, createdAt: { $lt: "1970-01-01T00:00:00.000Z" } }],
    });
  });

  test("page sizes outside 1..max are refused on `first`", () => {
    expect(pageSize(undefined, 20, 50)).toBe(20);
    expect(refusal(() => pageSize(0, 20, 50)).extensions).toEqual({ code: "BAD_USER_INPUT", field: "first" });
    expect(refusal(() => pageSize(51, 20, 50)).extensions.field).toBe("first");
  });
});
