// Where each item of an emergency profile came from and who confirmed it: sources stamped by the server from the caller's identity on every write (unchanged items keep theirs), confirmations by a granted professional, and stored items from before sources were recorded read as UNRECORDED.
import { badUserInput, canonicalJson, forbidden } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { EmergencyItemInput, EmergencyItemKind, InformationSource, ItemSourceKind, ItemVerification, ProfileSection } from "./generated/resolvers-types";
import type { ProfileContent } from "./domain";
import { CONTENT_SECTIONS, orderedSections } from "./sections";

/** A person who recorded or confirmed an item, copied from what the gateway vouched for at that moment. */
export interface SourceActorRecord {
  role: string;
  subject: string | null;
  name: string | null;
  relation: string | null;
  profession: string | null;
  memberId: string | null;
  organizationId: string | null;
}

/** The provenance every item carries: who recorded it and when, and whether (by whom, when) a professional confirmed it. */
export interface ItemSourceRecord {
  kind: ItemSourceKind;
  recordedAt: Date | null;
  recordedBy: SourceActorRecord | null;
  verification: ItemVerification;
  confirmedAt: Date | null;
  confirmedBy: SourceActorRecord | null;
}

/**
 * A source as stored: the record, or what items stored before sources were recorded hold — nothing at all (devices,
 * blood type, care level, contacts, ACP) or the resident's own claim as a string (conditions, medications, allergies).
 */
export type StoredSource = ItemSourceRecord | InformationSource | null | undefined;

type WithSource<T> = T & { source?: StoredSource };
/** Each item of a section with its source: list items one each, single items (blood type, care team, ...) one for the whole. */
type Sourced<T> = T extends readonly (infer Item)[] ? WithSource<Item>[] : T extends Date ? T : T extends object ? WithSource<T> : T;

/** A profile's content as stored: every item with its source; the care level's (a bare value) beside it. */
export type StoredContent = { [K in keyof ProfileContent]: K extends "person" ? ProfileContent[K] : Sourced<ProfileContent[K]> } & {
  careLevelSource?: StoredSource;
};

/** Who holds a profile: enough to tell the resident from a delegate. */
interface Holders {
  ownerSubject: string;
  delegates: readonly { subject: string; name: string; relation: string }[];
}

/** The sections whose items are lists, by the item kind a confirmation names. */
const LIST_FIELDS = {
  CONDITION: "conditions",
  MEDICATION: "medications",
  ALLERGY: "allergies",
  IMPLANTED_DEVICE: "implantedDevices",
  EMERGENCY_CONTACT: "emergencyContacts",
} as const satisfies Partial<Record<EmergencyItemKind, keyof ProfileContent>>;

/** The sections that are one item each (the care level, a bare value, is handled on its own). */
const SINGLE_FIELDS = {
  BLOOD_TYPE: "bloodType",
  CARE_TEAM: "careTeam",
  LIVING_SITUATION: "livingSituation",
  ADVANCE_CARE: "advanceCare",
} as const satisfies Partial<Record<EmergencyItemKind, keyof ProfileContent>>;

type ListField = (typeof LIST_FIELDS)[keyof typeof LIST_FIELDS];
type SingleField = (typeof SINGLE_FIELDS)[keyof typeof SINGLE_FIELDS];
const LIST_FIELD_NAMES: readonly ListField[] = Object.values(LIST_FIELDS);
const SINGLE_FIELD_NAMES: readonly SingleField[] = Object.values(SINGLE_FIELDS);

/**
 * The source as read. Items stored before sources were recorded read as UNRECORDED and UNCONFIRMED: only holders ever
 * wrote them, and a CLINICIAN_CONFIRMED they carry was the resident's own claim, which no professional vouched for.
 */
export function itemSource(stored: StoredSource): ItemSourceRecord {
  if (stored != null && typeof stored === "object") return stored;
  return { kind: "UNRECORDED", recordedAt: null, recordedBy: null, verification: "UNCONFIRMED", confirmedAt: null, confirmedBy: null };
}

/** The care team as an item: it has one (and a source) once any of its four places or people is named. */
export function hasCareTeam(team: ProfileContent["careTeam"]): boolean {
  return team.primaryHospitalId !== null || team.visitingNursingStationId !== null || team.primaryPhysicianId !== null || team.careManagerId !== null;
}

/** Items given with `source: CLINICIAN_CONFIRMED` (the deprecated input field): only a professional confirms, never the input. */
export function refuseClaimedConfirmation(
  input: Partial<Record<"conditions" | "medications" | "allergies", readonly { source?: InformationSource | null }[] | null>>,
): void {
  for (const field of ["conditions", "medications", "allergies"] as const) {
    const index = (input[field] ?? []).findIndex((item) => item.source === "CLINICIAN_CONFIRMED");
    if (index >= 0) {
      throw forbidden(
        `input.${field}.${index}.source: 医療者の確認は入力では指定できません。閲覧を許可された専門職が confirmEmergencyItems で確認します ` +
          "(CLINICIAN_CONFIRMED cannot be set in input: a professional with access confirms items with confirmEmergencyItems)",
      );
    }
  }
}

/** The source of what a holder writes now: the resident's own report, or a delegate's (with their name and relation). */
export function reportedSource(profile: Holders | null, identity: Identity, now: Date): ItemSourceRecord {
  const delegate = profile?.delegates.find((candidate) => candidate.subject === identity.subject && candidate.subject !== profile.ownerSubject);
  return {
    kind: delegate === undefined ? "SELF_REPORTED" : "DELEGATE_REPORTED",
    recordedAt: now,
    recordedBy: {
      role: identity.role,
      subject: identity.subject ?? null,
      name: delegate?.name ?? identity.displayName ?? null,
      relation: delegate?.relation ?? null,
      profession: null,
      memberId: null,
      organizationId: null,
    },
    verification: "UNCONFIRMED",
    confirmedAt: null,
    confirmedBy: null,
  };
}

/** Whether two items hold the same content (their sources aside). */
function sameContent(a: object, b: object): boolean {
  const { source: _a, ...contentA } = a as { source?: unknown };
  const { source: _b, ...contentB } = b as { source?: unknown };
  return canonicalJson(contentA) === canonicalJson(contentB);
}

/**
 * The sections of `content` as stored, each item with its source: an item the previous content holds unchanged keeps
 * its source (and confirmation); a new or changed item gets `reported`, so a resident's edit of a confirmed item leaves
 * it unconfirmed. Sources are written as records, so a rewritten section holds no pre-provenance form any more.
 */
export function withSources(content: Partial<ProfileContent>, previous: Partial<StoredContent> | null, reported: ItemSourceRecord): Partial<StoredContent> {
  const stored: Record<string, unknown> = { ...content };
  for (const field of LIST_FIELD_NAMES) {
    const items = content[field] as readonly object[] | undefined;
    if (items === undefined) continue;
    const unmatched = [...((previous?.[field] ?? []) as WithSource<object>[])];
    stored[field] = items.map((item) => {
      const match = unmatched.findIndex((candidate) => sameContent(candidate, item));
      const kept = match < 0 ? undefined : unmatched.splice(match, 1)[0];
      return { ...item, source: kept === undefined ? reported : itemSource(kept.source) };
    });
  }
  for (const field of SINGLE_FIELD_NAMES) {
    const value = content[field] as object | null | undefined;
    if (value === undefined) continue;
    if (value === null || (field === "careTeam" && !hasCareTeam(value as ProfileContent["careTeam"]))) {
      stored[field] = value === null ? null : { ...value, source: null };
      continue;
    }
    const before = previous?.[field] as WithSource<object> | null | undefined;
    stored[field] = { ...value, source: before != null && sameContent(before, value) ? itemSource(before.source) : reported };
  }
  if (content.careLevel !== undefined) {
    const kept = previous != null && previous.careLevel === content.careLevel;
    stored.careLevelSource = content.careLevel === null ? null : kept ? itemSource(previous.careLevelSource) : reported;
  }
  return stored;
}

/** The confirming professional as the record keeps them. */
export function confirmingActor(identity: Identity): SourceActorRecord {
  return {
    role: identity.role,
    subject: identity.subject ?? null,
    name: identity.displayName ?? null,
    relation: null,
    profession: identity.profession ?? null,
    memberId: identity.memberId ?? null,
    organizationId: identity.organizationId ?? null,
  };
}

const MAX_CONFIRMED_ITEMS = 200;

/**
 * What confirming `items` of `profile` stores: each named item's source marked CLINICIAN_CONFIRMED by `confirmer` at
 * `now` (its recorder kept), the other items of the sections concerned unchanged; and the sections concerned. An item
 * that is not there is BAD_USER_INPUT naming it, and nothing is confirmed.
 */
export function confirmation(
  profile: StoredContent,
  items: readonly EmergencyItemInput[],
  confirmer: SourceActorRecord,
  now: Date,
): { set: Partial<StoredContent>; sections: ProfileSection[] } {
  if (items.length === 0) throw badUserInput("items: 確認する項目を一つ以上指定してください (name at least one item)", "items");
  if (items.length > MAX_CONFIRMED_ITEMS) throw badUserInput(`items: ${MAX_CONFIRMED_ITEMS}件までです (at most ${MAX_CONFIRMED_ITEMS})`, "items");
  const confirmed = (stored: StoredSource): ItemSourceRecord => ({
    ...itemSource(stored),
    verification: "CLINICIAN_CONFIRMED",
    confirmedAt: now,
    confirmedBy: confirmer,
  });
  const set: Record<string, unknown> = {};
  const fields = new Set<keyof ProfileContent>();
  items.forEach(({ kind, index }, position) => {
    const at = `items.${position}`;
    const missing = () => badUserInput(`${at}: この項目は登録されていません (the profile holds no such item)`, `${at}.index`);
    if (kind === "CARE_LEVEL") {
      if (index != null) throw badUserInput(`${at}.index: 一件だけの項目に位置は指定しません (single items take no index)`, `${at}.index`);
      if (profile.careLevel === null) throw missing();
      set.careLevelSource = confirmed(profile.careLevelSource);
      fields.add("careLevel");
    } else if (kind in LIST_FIELDS) {
      const field = LIST_FIELDS[kind as keyof typeof LIST_FIELDS];
      if (index == null) throw badUserInput(`${at}.index: 一覧の項目は位置（0から）を指定してください (list items need their 0-based index)`, `${at}.index`);
      const list = ((set[field] ?? profile[field]) as WithSource<object>[]).map((item) => ({ ...item, source: itemSource(item.source) }));
      const item = list[index];
      if (item === undefined) throw missing();
      list[index] = { ...item, source: confirmed(item.source) };
      set[field] = list;
      fields.add(field);
    } else {
      const field = SINGLE_FIELDS[kind as keyof typeof SINGLE_FIELDS];
      if (index != null) throw badUserInput(`${at}.index: 一件だけの項目に位置は指定しません (single items take no index)`, `${at}.index`);
      const value: WithSource<object> | null = set[field] ?? profile[field];
      // `==`: a record stored without the section at all reads as not having it.
      if (value == null || (field === "careTeam" && !hasCareTeam(value as ProfileContent["careTeam"]))) throw missing();
      set[field] = { ...value, source: confirmed(value.source) };
      fields.add(field);
    }
  });
  return { set, sections: orderedSections([...fields].map((field) => CONTENT_SECTIONS[field])) };
}
