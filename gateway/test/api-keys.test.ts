// Vendor API keys: generation, hashing, validation, and the MongoDB store (embedded engine).
import { connectMongo } from "@tsunagu/service-kit";
import type { MongoHandle } from "@tsunagu/service-kit";
import { ApiKeyInputError, createApiKey, findApiKey, generateApiKey, hashApiKey, mongoApiKeyStore } from "../src/api-keys";
import type { ApiKeyStore } from "../src/api-keys";
import { silentLogger } from "./helpers";

let mongo: MongoHandle;
let store: ApiKeyStore;

beforeAll(async () => {
  mongo = await connectMongo({ dbName: "api-keys-test", logger: silentLogger });
  store = await mongoApiKeyStore(mongo.connection);
});

afterAll(() => mongo?.close());

test("keys are 256 random bits behind a recognisable prefix, and differ every time", () => {
  const keys = new Set(Array.from({ length: 50 }, () => generateApiKey()));
  expect(keys.size).toBe(50);
  for (const key of keys) expect(key).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
});

test("the stored hash is the SHA-256 of the key", () => {
  expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

test("a created key is stored only as its hash, with owner, scopes and a 12-character prefix", async () => {
  const { key, record } = await createApiKey(store, { owner: "  Vendor K.K. ", scopes: ["resources:read", "resources:write", "resources:read"] });
  expect(record).toMatchObject({ owner: "Vendor K.K.", scopes: ["resources:read", "resources:write"], prefix: key.slice(0, 12) });
  const raw = await mongo.connection.collection("apiKeys").findOne({ owner: "Vendor K.K." });
  expect(raw?.hash).toBe(hashApiKey(key));
  expect(JSON.stringify(raw)).not.toContain(key);
  expect(await findApiKey(store, key)).toEqual(record);
});

test("listing shows prefixes, and a revoked key is no longer found", async () => {
  const { key, record } = await createApiKey(store, { owner: "Short-lived", scopes: [], organizationId: "org-1" });
  const listed = (await store.list()).find((entry) => entry.id === record.id);
  expect(listed).toEqual({ ...record });
  expect(JSON.stringify(listed)).not.toContain(key);
  expect(await store.revoke(record.id)).toBe(true);
  expect(await store.revoke(record.id)).toBe(false);
  expect(await store.revoke("not-an-id")).toBe(false);
  expect(await findApiKey(store, key)).toBeNull();
  expect((await store.list()).find((entry) => entry.id === record.id)?.revokedAt).toBeInstanceOf(Date);
});

test("malformed keys are refused without a lookup", async () => {
  const lookups: string[] = [];
  const spy: ApiKeyStore = { ...store, findActiveByHash: async (hash) => (lookups.push(hash), null) };
  expect(await findApiKey(spy, "tsk_short")).toBeNull();
  expect(await findApiKey(spy, `tsk_${"A".repeat(43)}`)).toBeNull();
  expect(lookups).toEqual([hashApiKey(`tsk_${"A".repeat(43)}`)]);
});

test("an empty owner, a malformed scope or a scope not in the documented list is refused", async () => {
  await expect(createApiKey(store, { owner: " ", scopes: [] })).rejects.toThrow(new ApiKeyInputError("owner must not be empty"));
  const listed = "resources:read, resources:write, groups:contacts, events:read, events:write, emergency:read";
  await expect(createApiKey(store, { owner: "V", scopes: ["resources:read", "write everything"] })).rejects.toThrow(
    `unknown scope(s) write everything; the scopes are: ${listed}`,
  );
  await expect(createApiKey(store, { owner: "V", scopes: ["anything:goes"] })).rejects.toThrow(`unknown scope(s) anything:goes; the scopes are: ${listed}`);
});
