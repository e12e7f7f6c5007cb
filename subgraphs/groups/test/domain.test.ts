// Input validation: errors are BAD_USER_INPUT naming the offending field.
import { KEEP_NULLS, validated } from "@tsunagu/service-kit";
import { GraphQLError } from "graphql";
import { Types } from "mongoose";
import { createMemberSchema, createPostSchema, parseId, recordConsultationSchema } from "../src/domain";

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
  expect(validated(createPostSchema, { boardId, title: "  お知らせ ", body: "本文", tags: ["研修", "研修"] }, "input", KEEP_NULLS)).toEqual({
    boardId: boardId.toLowerCase(),
    title: "お知らせ",
    body: "本文",
    tags: ["研修"],
    attachments: [],
    pinned: false,
    urgent: false,
  });
});

test("every problem is reported with its dotted field path, control characters included", () => {
  const boardId = new Types.ObjectId().toHexString();
  expect(refusal(() => validated(createPostSchema, { boardId, title: "件名", body: "x".repeat(10_001) }, "input", KEEP_NULLS)).extensions).toMatchObject({
    code: "BAD_USER_INPUT",
    field: "input.body",
  });
  const several = refusal(() =>
    validated(createPostSchema, { boardId: "1", title: "件\u0007名", body: "x".repeat(10_001), tags: ["ok", "\u2066隠\u2069"] }, "input", KEEP_NULLS),
  );
  expect((several.extensions.problems as { field: string }[]).map((problem) => problem.field).sort()).toEqual([
    "input.boardId",
    "input.body",
    "input.tags.1",
    "input.title",
  ]);
  expect(several.message).toContain("input.title: 制御文字");
  expect(several.message).toContain("U+0007");
  const member = { name: "山田 花子", kana: "ヤマダ ハナコ", profession: "NURSE" };
  expect(refusal(() => validated(createMemberSchema, { ...member, kana: "山田" }, "input", KEEP_NULLS)).extensions.field).toBe("input.kana");
  expect(refusal(() => validated(createMemberSchema, { ...member, workContact: { phone: "電話してね" } }, "input", KEEP_NULLS)).extensions.field).toBe(
    "input.workContact.phone",
  );
  const window = { from: "13:00", to: "12:00" };
  expect(refusal(() => validated(createMemberSchema, { ...member, avoidCallingHours: [window] }, "input", KEEP_NULLS)).extensions.field).toBe(
    "input.avoidCallingHours.0.to",
  );
  expect(refusal(() => parseId("12345", "memberId")).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "memberId" });
});

test("phone numbers typed in full width are normalised, consultations need a channel and an offset date-time", () => {
  const member = validated(
    createMemberSchema,
    { name: "山田 花子", kana: "やまだ はなこ", profession: "NURSE", workContact: { phone: "０７６１（２２）１２３４ 内線 305" } },
    "input",
    KEEP_NULLS,
  );
  expect(member.workContact?.phone).toBe("0761(22)1234 内線 305");
  const consultation = { receivedAt: "2025-04-01T09:00:00+09:00", channels: ["PHONE"], requester: {}, category: "OTHER", summary: "問合せ" };
  expect(validated(recordConsultationSchema, consultation, "input", KEEP_NULLS).receivedAt).toEqual(new Date("2025-04-01T00:00:00Z"));
  expect(refusal(() => validated(recordConsultationSchema, { ...consultation, receivedAt: "2025-04-01 09:00" }, "input", KEEP_NULLS)).extensions.field).toBe(
    "input.receivedAt",
  );
  expect(refusal(() => validated(recordConsultationSchema, { ...consultation, channels: ["PHONE", "PHONE"] }, "input", KEEP_NULLS)).extensions.field).toBe(
    "input.channels",
  );
});
