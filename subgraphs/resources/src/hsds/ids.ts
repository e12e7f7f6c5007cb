// HSDS identifiers: its ids are UUIDs, so each record's ObjectId (or the 法人番号 of an organisation) is carried reversibly inside an RFC 9562 version-8 UUID with a kind tag.
import { createHash } from "node:crypto";

/** What a UUID identifies; the tag is its first two hex digits. */
export const HSDS_KINDS = {
  service: "01",
  location: "02",
  serviceAtLocation: "03",
  organization: "04",
  /** An organisation known by its 法人番号 (13 digits), shared by every place it runs. */
  corporation: "05",
  schedule: "10",
  phone: "11",
  address: "12",
  serviceArea: "13",
  capacity: "14",
  unit: "15",
  contact: "16",
  language: "17",
  attribute: "18",
  identifier: "19",
  metadata: "1a",
  taxonomy: "20",
  taxonomyTerm: "21",
} as const;
export type HsdsKind = keyof typeof HSDS_KINDS;

const HEX24 = /^[0-9a-f]{24}$/;

/** 30 custom hex digits → a version-8, RFC-variant UUID (12 + 3 + 15 digits around the version and variant nibbles). */
function uuidOf(custom: string): string {
  const a = custom.slice(0, 12);
  const b = custom.slice(12, 15);
  const c = custom.slice(15, 30);
  return `${a.slice(0, 8)}-${a.slice(8, 12)}-8${b}-8${c.slice(0, 3)}-${c.slice(3, 15)}`;
}

function customOf(uuid: string): string | undefined {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-8([0-9a-f]{3})-8([0-9a-f]{3})-([0-9a-f]{12})$/.exec(uuid.toLowerCase());
  return match === null ? undefined : match.slice(1).join("");
}

/**
 * The UUID of a record of `kind` whose key is a 24-hex ObjectId (or a 13-digit 法人番号 for `corporation`); `index`
 * tells apart several child records of one parent (its phones, schedules...).
 */
export function hsdsId(kind: HsdsKind, key: string, index = 0): string {
  const padded = kind === "corporation" ? key.padStart(24, "0") : key.toLowerCase();
  if (!HEX24.test(padded) && !(kind === "corporation" && /^\d{24}$/.test(padded))) throw new Error(`not an id key: ${key}`);
  return uuidOf(`${HSDS_KINDS[kind]}${padded}${index.toString(16).padStart(4, "0")}`);
}

/** A stable UUID for a record keyed by text (a taxonomy code): a hash, looked up by listing, not decoded. */
export function hsdsIdOfText(kind: "taxonomy" | "taxonomyTerm", text: string): string {
  const hash = createHash("sha256").update(`${kind}:${text}`).digest("hex");
  return uuidOf(`${HSDS_KINDS[kind]}${hash.slice(0, 28)}`);
}

/** The key inside an id of `kind`, or undefined when the id is not one of ours or of another kind. */
export function keyOfHsdsId(kind: HsdsKind, uuid: string): string | undefined {
  const custom = customOf(uuid);
  if (custom === undefined || custom.slice(0, 2) !== HSDS_KINDS[kind]) return undefined;
  const key = custom.slice(2, 26);
  return kind === "corporation" ? key.replace(/^0+/, "").padStart(13, "0") : key;
}
