// Vendor API keys: generated once, stored only as a SHA-256 hash with owner and scopes, in the gateway's `apiKeys` collection.
import { createHash, randomBytes } from "node:crypto";
import { Schema, isValidObjectId } from "mongoose";
import type { Connection, Model } from "mongoose";
import { API_SCOPES, isApiScope } from "@tsunagu/service-kit";

/** A stored key as listings show it: never the key, only its first characters. */
export interface ApiKeyRecord {
  id: string;
  /** The first characters of the key (e.g. `tsk_AbC12xYz`), for recognising it in listings. */
  prefix: string;
  /** Who the key was issued to, e.g. "Vendor K.K.". */
  owner: string;
  scopes: string[];
  /** The organisation the vendor acts for, when there is one. */
  organizationId?: string;
  createdAt: Date;
  revokedAt?: Date;
}

/** What is stored for a new key. */
export interface NewApiKey {
  hash: string;
  prefix: string;
  owner: string;
  scopes: string[];
  organizationId?: string;
}

/** Where keys live; MongoDB here, anything with the same four operations elsewhere. */
export interface ApiKeyStore {
  insert(key: NewApiKey): Promise<ApiKeyRecord>;
  /** The key with this hash unless it was revoked. */
  findActiveByHash(hash: string): Promise<ApiKeyRecord | null>;
  list(): Promise<ApiKeyRecord[]>;
  /** True when a key was revoked now. */
  revoke(id: string): Promise<boolean>;
}

const KEY_PREFIX = "tsk_";
const KEY_PATTERN = /^tsk_[A-Za-z0-9_-]{43}$/;
const SHOWN_PREFIX_LENGTH = 12;

/** SHA-256 (hex) of a key: what is stored and looked up. Keys carry 256 random bits, so no salt is needed. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A new key `tsk_<43 base64url characters>` (256 random bits). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

export class ApiKeyInputError extends Error {
  override name = "ApiKeyInputError";
}

/**
 * Creates a key for `owner` with `scopes` (each `area:action`, e.g. `resources:write`) and stores its
 * hash. The returned `key` is the only time the key exists in clear.
 * @throws ApiKeyInputError for an empty owner or a scope not in API_SCOPES.
 */
export async function createApiKey(
  store: ApiKeyStore,
  input: { owner: string; scopes: readonly string[]; organizationId?: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const owner = input.owner.trim();
  if (owner === "") throw new ApiKeyInputError("owner must not be empty");
  const bad = input.scopes.filter((scope) => !isApiScope(scope));
  if (bad.length > 0) throw new ApiKeyInputError(`unknown scope(s) ${bad.join(", ")}; the scopes are: ${Object.keys(API_SCOPES).join(", ")}`);
  const key = generateApiKey();
  const record = await store.insert({
    hash: hashApiKey(key),
    prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
    owner,
    scopes: [...new Set(input.scopes)],
    ...(input.organizationId === undefined ? {} : { organizationId: input.organizationId }),
  });
  return { key, record };
}

/** The active key matching `key`, or null (malformed keys are refused without a lookup). */
export async function findApiKey(store: ApiKeyStore, key: string): Promise<ApiKeyRecord | null> {
  if (!KEY_PATTERN.test(key)) return null;
  return store.findActiveByHash(hashApiKey(key));
}

interface ApiKeyDocument {
  hash: string;
  prefix: string;
  owner: string;
  scopes: string[];
  organizationId?: string;
  createdAt: Date;
  revokedAt?: Date;
}

const apiKeySchema = new Schema<ApiKeyDocument>(
  {
    hash: { type: String, required: true, unique: true },
    prefix: { type: String, required: true },
    owner: { type: String, required: true },
    scopes: { type: [String], default: [] },
    organizationId: { type: String },
    createdAt: { type: Date, required: true, default: () => new Date() },
    revokedAt: { type: Date },
  },
  { collection: "apiKeys", versionKey: false },
);

type StoredApiKey = ApiKeyDocument & { _id: { toHexString(): string } };

function toRecord(doc: StoredApiKey): ApiKeyRecord {
  return {
    id: doc._id.toHexString(),
    prefix: doc.prefix,
    owner: doc.owner,
    scopes: doc.scopes,
    createdAt: doc.createdAt,
    ...(doc.organizationId === undefined ? {} : { organizationId: doc.organizationId }),
    ...(doc.revokedAt === undefined ? {} : { revokedAt: doc.revokedAt }),
  };
}

/**
 * The key store on a mongoose connection (collection `apiKeys`, unique index on `hash`). Filters use
 * `revokedAt: null` (missing or null) because the connection sanitizes `$` operators in filters.
 */
export async function mongoApiKeyStore(connection: Connection): Promise<ApiKeyStore> {
  // One model per connection: a second store on the same connection (a script beside the gateway) reuses it.
  const ApiKey = (connection.models.ApiKey as Model<ApiKeyDocument> | undefined) ?? connection.model<ApiKeyDocument>("ApiKey", apiKeySchema);
  await ApiKey.init();
  return {
    async insert(key) {
      const created = await ApiKey.create({ ...key, createdAt: new Date() });
      return toRecord(created.toObject<StoredApiKey>());
    },
    async findActiveByHash(hash) {
      const found = await ApiKey.findOne({ hash, revokedAt: null }).lean<StoredApiKey>();
      return found === null ? null : toRecord(found);
    },
    async list() {
      const all = await ApiKey.find().sort({ createdAt: 1 }).lean<StoredApiKey[]>();
      return all.map(toRecord);
    },
    async revoke(id) {
      if (!isValidObjectId(id)) return false;
      const result = await ApiKey.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: new Date() } });
      return result.modifiedCount === 1;
    },
  };
}
