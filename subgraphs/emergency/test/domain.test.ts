// Unit tests of the emergency subgraph's pure parts: card codes, input normalisation, ages on the Tokyo calendar, look-up address keys and the review flags.
import { KEEP_NULLS, validated } from "@tsunagu/service-kit";
import type { GraphQLError } from "graphql";
import { Types } from "mongoose";
import { CARD_ALPHABET, CARD_CODE_LENGTH, checkCharacter, generateCardCode, normalizeCardCode, printedCardCode } from "../src/card-code";
import { ageOn, personSchema } from "../src/domain";
import { addressKey, fullAddressMatches, visibleLength } from "../src/lookup";
import type { ProfileDocument } from "../src/models";
import { flagLookups } from "../src/review";
import type { ActorRecord } from "../src/models";
import type { AccessOutcomeValue } from "../src/domain";

describe("card codes", () => {
  test("are 10 characters of the unambiguous alphabet, the last a check character, and practically never repeat", () => {
    const codes = Array.from({ length: 5000 }, generateCardCode);
    expect(new Set(codes).size).toBe(5000);
    for (const code of codes.slice(0, 200)) {
      expect(code).toHaveLength(CARD_CODE_LENGTH);
      expect([...code].every((character) => CARD_ALPHABET.includes(character))).toBe(true);
      expect(code[9]).toBe(checkCharacter(code.slice(0, 9)));
    }
    expect(CARD_ALPHABET).not.toMatch(/[01OI]/);
    expect(new Set(codes.map((code) => code[0])).size).toBe(32);
  });

  test("accept what people type or scan: lower case, full width, hyphens, spaces, the whole QR payload", () => {
    const code = generateCardCode();
    const fullWidth = [...printedCardCode(code).toLowerCase()].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join("");
    for (const typed of [
      code,
      printedCardCode(code).toLowerCase(),
      ` ${code.slice(0, 5)} ${code.slice(5)} `,
      fullWidth,
      `urn:tsunagu:emergency-card:${code}`,
      `https://crew.example.jp/e/${printedCardCode(code)}`,
    ]) {
      expect(normalizeCardCode(typed)).toEqual({ ok: true, code });
    }
  });

  test("catch every single misread character and say why, without repeating the code", () => {
    const code = generateCardCode();
    for (let position = 0; position < CARD_CODE_LENGTH; position++) {
      for (const replacement of CARD_ALPHABET) {
        if (replacement === code[position]) continue;
        const typo = code.slice(0, position) + replacement + code.slice(position + 1);
        expect(normalizeCardCode(typo)).toEqual({ ok: false, problem: "check" });
      }
    }
    expect(normalizeCardCode(`${code.slice(0, 9)}O`)).toEqual({ ok: false, problem: "characters" });
    expect(normalizeCardCode(code.slice(0, 8))).toEqual({ ok: false, problem: "length" });
  });
});

test("a person's input is normalised (kana to katakana, phones with hyphens) and a bad field is named", () => {
  const person = validated(
    personSchema,
    {
      name: "山田　花子",
      kana: "やまだ ﾊﾅｺ",
      dateOfBirth: "１９４１-06-15",
      sex: "FEMALE",
      phone: "０７６１（２２）１２３４",
      address: { prefecture: "石川県", city: "つなぐ市", street: "本町2-3-4" },
    },
    "input.person",
    KEEP_NULLS,
  );
  expect(person).toMatchObject({ name: "山田 花子", kana: "ヤマダ ハナコ", dateOfBirth: "1941-06-15", phone: "0761-22-1234", photoUrl: null });
  expect(() => validated(personSchema, { ...person, dateOfBirth: "1941-02-30" }, "input.person", KEEP_NULLS)).toThrow(
    expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT", field: "input.person.dateOfBirth" }) }),
  );
  expect(() => validated(personSchema, { ...person, phone: "12345" }, "input.person", KEEP_NULLS)).toThrow(
    expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT", field: "input.person.phone" }) }),
  );
  let refused: GraphQLError | undefined;
  try {
    validated(personSchema, { ...person, phone: "12345", name: "山田\u202E花子", dateOfBirth: "1941-02-30" }, "input.person", KEEP_NULLS);
  } catch (error) {
    refused = error as GraphQLError;
  }
  expect((refused?.extensions.problems as { field: string }[]).map((problem) => problem.field).sort()).toEqual([
    "input.person.dateOfBirth",
    "input.person.name",
    "input.person.phone",
  ]);
});

test("age is counted on the Tokyo calendar", () => {
  expect(ageOn("1941-06-15", new Date("2026-06-14T14:59:59Z"))).toBe(84);
  expect(ageOn("1941-06-15", new Date("2026-06-14T15:00:00Z"))).toBe(85);
});

test("addresses written with kanji numerals, 丁目/番/号 or hyphens share one key", () => {
  expect(addressKey("栄町一丁目1番1号")).toBe(addressKey("栄町1-1-1"));
  expect(addressKey("ｻｶｴﾏﾁ 十二番地")).toBe("さかえまち12");
  expect(addressKey("本町二十三番5号")).toBe("本町23-5");
});

test("a typed address matches only a whole address form down to the 番地, never a fragment", () => {
  const profile = {
    person: { address: { prefecture: "石川県", city: "つなぐ市", street: "本町2-3-4", building: "つなぐ荘101" } },
  } as unknown as ProfileDocument;
  for (const typed of ["本町2-3-4", "本町2-3", "つなぐ市本町二丁目3番4号", "石川県つなぐ市本町2-3-4", "本町2-3-4つなぐ荘101"]) {
    expect([typed, fullAddressMatches(addressKey(typed), profile)]).toEqual([typed, true]);
  }
  for (const typed of ["本町2", "本町", "石", "町2-3-4", "本町2-3-4-5", "つなぐ市", "本町2-3-41"]) {
    expect([typed, fullAddressMatches(addressKey(typed), profile)]).toEqual([typed, false]);
  }
});

test("only visible characters count towards a reason", () => {
  expect(visibleLength("胸痛")).toBe(2);
  expect(visibleLength("\u200b\u200b")).toBe(0);
  expect(visibleLength(" \u3000\t\n")).toBe(0);
  expect(visibleLength("a\u00ad\u202e\u2066\ufeff")).toBe(1);
  expect(visibleLength("😀x")).toBe(2);
});

describe("review flags", () => {
  const actor = (subject: string): ActorRecord => ({
    subject,
    role: "EMS",
    authMethod: "jwt",
    displayName: null,
    profession: null,
    organizationId: null,
    memberId: null,
  });
  const at = (minutes: number) => new Date(Date.UTC(2026, 3, 1, 0, minutes));
  const row = (subject: string, minutes: number, outcome: AccessOutcomeValue = "ALLOWED", incidentNumber: string | null = "R8-1") => ({
    _id: new Types.ObjectId(),
    at: at(minutes),
    actor: actor(subject),
    outcome,
    incidentNumber,
  });

  test("flag ten look-ups by one user within an hour, but not ten spread over a day", () => {
    const dense = Array.from({ length: 10 }, (_, i) => row("ems-dense", i * 6));
    const spread = Array.from({ length: 10 }, (_, i) => row("ems-spread", i * 120));
    const flags = flagLookups([...dense, ...spread].sort((a, b) => a.at.getTime() - b.at.getTime()));
    expect(flags.map((flag) => [flag.kind, flag.actor.subject, flag.count, flag.firstAt, flag.lastAt])).toEqual([
      ["MANY_LOOKUPS", "ems-dense", 10, at(0), at(54)],
    ]);
    expect(flags[0]?.entryIds).toEqual(dense.map((r) => r._id));
  });

  test("flag look-ups without an incident number and repeated look-ups matching no one", () => {
    const flags = flagLookups([
      row("er-a", 0, "NO_MATCH", null),
      row("er-a", 5, "NO_MATCH", null),
      row("er-a", 9, "NO_MATCH"),
      row("er-b", 10, "ALLOWED", null),
    ]);
    expect(flags.map((flag) => [flag.kind, flag.actor.subject, flag.count])).toEqual([
      ["REPEATED_NO_MATCH", "er-a", 3],
      ["WITHOUT_INCIDENT_NUMBER", "er-a", 2],
      ["WITHOUT_INCIDENT_NUMBER", "er-b", 1],
    ]);
  });
});
