// Unit tests of the rules behind the resolvers: argument validation, input fingerprints, category look-ups and who may do what.
import type { GraphQLError } from "graphql";
import type { Identity, Role } from "@tsunagu/service-kit";
import { canSeeContactDetails, canWriteResources, requireAvailabilityWriter } from "../src/access";
import { descendantCodes, recordFor } from "../src/categories";
import { validateResourceInput } from "../src/domain";
import type { ResourceInput } from "../src/domain";
import { DEFAULT_PAGE_SIZE, invalidInput, parsePage, parseResourceId, parseResourceInput, withoutNulls } from "../src/inputs";
import { DEFAULT_TAXONOMY } from "../src/taxonomy";
import { inputFingerprint } from "@tsunagu/service-kit";

const NOW = new Date("2025-06-02T00:00:00Z");
const SALON = {
  kind: "COMMUNITY",
  category: "salon",
  names: { official: "本町いきいきサロン", kana: "ホンマチイキイキサロン" },
  address: { prefecture: "石川県", city: "つなぐ市", district: "中央圏域" },
  provenance: { source: "VOLUNTEER" },
};

function thrown(action: () => unknown): GraphQLError {
  try {
    action();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error("nothing was thrown");
}

function identity(role: Role, extra: Partial<Identity> = {}): Identity {
  return { role, authMethod: role === "PUBLIC" ? "none" : "jwt", scopes: [], ...extra };
}

describe("inputs", () => {
  test("nulls are dropped at any depth; dates and arrays are kept", () => {
    const at = new Date();
    expect(withoutNulls({ a: null, b: { c: undefined, d: at, e: [1, { f: null }] } })).toEqual({ b: { d: at, e: [1, {}] } });
  });

  test("a ResourceInput gets its vacancy stamped with the request time, and only when a vacancy is given", () => {
    const withVacancy = parseResourceInput({ ...SALON, capacity: { available: 2, maximum: 10, unit: "PEOPLE" } }, NOW, "input");
    expect(withVacancy.capacity).toEqual({ available: 2, maximum: 10, unit: "PEOPLE", updatedAt: NOW });
    const maximumOnly = parseResourceInput({ ...SALON, capacity: { maximum: 10, unit: "PEOPLE" } }, NOW, "input");
    expect(maximumOnly.capacity).toEqual({ maximum: 10, unit: "PEOPLE" });
  });

  test("problems are reported under the argument's path", () => {
    const error = thrown(() => parseResourceInput({ ...SALON, names: { official: "" }, servedDistricts: ["北圏域", "北圏域"] }, NOW, "input"));
    expect(error.extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "input.names.official",
      problems: [
        { field: "input.names.official", reason: "空にできません (must not be empty)" },
        { field: "input.servedDistricts", reason: "同じ値が重複しています (duplicate values)" },
      ],
    });
    expect(error.message).toBe("input.names.official: 空にできません (must not be empty); input.servedDistricts: 同じ値が重複しています (duplicate values)");
    expect(() => invalidInput([])).toThrow("invalidInput needs at least one problem");
  });

  test("pages default to 20 and ids must be ObjectId hex", () => {
    expect(parsePage({ first: null, after: null })).toEqual({ first: DEFAULT_PAGE_SIZE });
    expect(parseResourceId("65F0AABBCCDDEEFF00112233", "id").toHexString()).toBe("65f0aabbccddeeff00112233");
    expect(thrown(() => parseResourceId("65f0", "input.id")).extensions).toEqual({ code: "BAD_USER_INPUT", field: "input.id" });
  });
});

describe("idempotency fingerprints", () => {
  test("equal for the same input however its keys are ordered or its omissions spelled", () => {
    const reordered = {
      ...Object.fromEntries(Object.entries(SALON).reverse()),
      names: { kana: "ホンマチイキイキサロン", official: "本町いきいきサロン" },
      fees: null,
    };
    expect(inputFingerprint(reordered)).toBe(inputFingerprint(SALON));
  });

  test("different for any other content", () => {
    expect(inputFingerprint({ ...SALON, fees: "無料" })).not.toBe(inputFingerprint(SALON));
    expect(inputFingerprint({ ...SALON, servedDistricts: ["北圏域", "南圏域"] })).not.toBe(
      inputFingerprint({ ...SALON, servedDistricts: ["南圏域", "北圏域"] }),
    );
  });
});

describe("categories", () => {
  test("a group's descendants, and a leaf alone", () => {
    expect(descendantCodes(DEFAULT_TAXONOMY, "life-support")).toEqual([
      "life-support",
      "meal-delivery",
      "shopping-support",
      "mobility-support",
      "housework-support",
    ]);
    expect(descendantCodes(DEFAULT_TAXONOMY, "salon")).toEqual(["salon"]);
  });

  test("a record carries its category's labels as search keys; an unknown category is refused", () => {
    const input = validateResourceInput(SALON);
    if (!input.ok) throw new Error("the salon should be valid");
    const built = recordFor(input.value, DEFAULT_TAXONOMY, NOW);
    expect(built.ok && built.record.searchKeys).toEqual(expect.arrayContaining(["本町いきいきさろん", "ほんまちいきいきさろん", "ちいきさろんかよいのば"]));
    const unknown: ResourceInput = { ...input.value, category: "no-such-category" };
    expect(recordFor(unknown, DEFAULT_TAXONOMY, NOW)).toEqual({
      ok: false,
      errors: [{ field: "category", reason: "未登録の分類です (unknown category): no-such-category" }],
    });
  });
});

describe("access", () => {
  test.each([
    ["PUBLIC", false],
    ["RESIDENT", false],
    ["VENDOR", false],
    ["PROFESSIONAL", true],
    ["COORDINATOR", true],
    ["EMS", true],
    ["ER", true],
    ["ADMIN", true],
  ] as const)("%s sees direct contact details: %s", (role, visible) => {
    expect(canSeeContactDetails(identity(role))).toBe(visible);
  });

  test("writers: coordinators, admins, and vendors only with resources:write", () => {
    expect(canWriteResources(identity("COORDINATOR"))).toBe(true);
    expect(canWriteResources(identity("ADMIN"))).toBe(true);
    expect(canWriteResources(identity("VENDOR", { authMethod: "apiKey", scopes: ["resources:read"] }))).toBe(false);
    expect(canWriteResources(identity("VENDOR", { authMethod: "apiKey", scopes: ["resources:write"] }))).toBe(true);
    expect(canWriteResources(identity("PROFESSIONAL", { scopes: ["resources:write"] }))).toBe(false);
  });

  test("availability: also the staff of that very resource", () => {
    const staff = identity("PROFESSIONAL", { organizationId: "65f0aabbccddeeff00112233" });
    expect(() => requireAvailabilityWriter(staff, "65f0aabbccddeeff00112233")).not.toThrow();
    expect(thrown(() => requireAvailabilityWriter(staff, "65f0aabbccddeeff00112234")).extensions.code).toBe("FORBIDDEN");
    expect(thrown(() => requireAvailabilityWriter(identity("PUBLIC"), "65f0aabbccddeeff00112233")).extensions.code).toBe("UNAUTHENTICATED");
  });
});
