// The one validation wrapper: every problem with its field path in one BAD_USER_INPUT, and control or bidirectional override characters refused wherever they are.
import type { GraphQLError } from "graphql";
import { z } from "zod";
import { KEEP_NULLS, controlCharacterProblems, validated } from "../src/inputs";

const noteSchema = z.object({
  title: z.string().max(10, "10文字以内です (at most 10 characters)"),
  body: z.string(),
  tags: z.array(z.string()).default([]),
  clearedAt: z.null().optional(),
});

function refusal(run: () => unknown): GraphQLError {
  try {
    run();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error("expected a refusal");
}

test("tab and newline pass; other C0 controls, DEL and bidi overrides/isolates are named with their field", () => {
  expect(controlCharacterProblems({ body: "一行目\n\t二行目", tags: ["訪問看護"] }, "input")).toEqual([]);
  for (const character of ["\u0000", "\u0008", "\u000B", "\r", "\u001B", "\u007F", "\u202A", "\u202E", "\u2066", "\u2069"]) {
    expect(controlCharacterProblems({ tags: ["ok", `a${character}b`] }, "input").map((problem) => problem.field)).toEqual(["input.tags.1"]);
  }
  expect(controlCharacterProblems("\u200F", "text")).toEqual([]);
});

test("every problem of an input is reported at once, each with its path, in one error shape", () => {
  const refused = refusal(() => validated(noteSchema, { title: "とても長い件名をここに書く", body: "本文\u202E", tags: [3] }, "input"));
  expect(refused.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.body" });
  expect(refused.extensions.problems).toEqual([
    { field: "input.body", reason: expect.stringContaining("U+202E") },
    { field: "input.title", reason: "10文字以内です (at most 10 characters)" },
    { field: "input.tags.0", reason: expect.any(String) },
  ]);
  expect(refused.message.split("; ")).toHaveLength(3);
});

test("explicit nulls are dropped by default and kept for updates that clear a field", () => {
  expect(validated(noteSchema, { title: "件名", body: "本文", tags: null }, "input")).toEqual({ title: "件名", body: "本文", tags: [] });
  expect(validated(noteSchema, { title: "件名", body: "本文", clearedAt: null }, "input", KEEP_NULLS)).toEqual({
    title: "件名",
    body: "本文",
    tags: [],
    clearedAt: null,
  });
});
