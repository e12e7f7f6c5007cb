// The break-glass look-up for EMS and ER staff: input checked, the per-user rate limit counted in the database, the person found by card code or by name, and the answer read and its access log entry (which opens the access window) written in one transaction.
import { z } from "zod";
import { badUserInput, calendarDate, forbidden, KEEP_NULLS, rateLimited, toSearchKey, validated } from "@tsunagu/service-kit";
import type { Types } from "mongoose";
import type { EmergencyLookupInput, ProfileSection } from "./generated/resolvers-types";
import { consentCovers, isEmergencyStaff } from "./access";
import type { ProfileView } from "./access";
import { appendLog, appendLogInTransaction } from "./audit";
import { CARD_CODE_PROBLEMS, normalizeCardCode } from "./card-code";
import type { EmergencyContext } from "./context";
import { ageOn, text } from "./domain";
import type { AccessOutcomeValue, LookupMethodValue } from "./domain";
import type { ProfileDocument } from "./models";

/** At most this many candidates are shown for an ambiguous look-up; more means the crew must add a date of birth or an address. */
export const MAX_CANDIDATES = 10;

/** What the crew is told when several people match: only what tells them apart. */
export interface LookupCandidate {
  name: string;
  age: number;
  district: string | null;
}

export interface LookupResult {
  outcome: AccessOutcomeValue;
  profile: ProfileView | null;
  candidates: LookupCandidate[];
  accessLogEntryId: Types.ObjectId;
  accessWindowEndsAt: Date | null;
}

type Criteria =
  | { method: "CARD_CODE"; cardCode: string }
  | { method: Exclude<LookupMethodValue, "CARD_CODE">; nameKey: string; dateOfBirth: string | null; addressKey: string | null };

interface LookupRequest {
  criteria: Criteria;
  reason: string;
  incidentNumber: string | null;
}

const lookupInputSchema = z.object({
  reason: text(500).refine((reason) => reason.length >= 2, "理由を入力してください (give the reason, at least 2 characters)"),
  incidentNumber: text(50).nullish().transform((value) => value ?? null),
  name: text(100).nullish(),
  dateOfBirth: calendarDate.nullish(),
  address: text(200).nullish(),
});

const KANJI_DIGITS = "〇一二三四五六七八九";

/** 一 → 1, 十二 → 12, 二十三 → 23 (house numbers as people write them). */
function kanjiNumber(kanji: string): string {
  const [tens, ones] = kanji.includes("十") ? kanji.split("十") : ["", kanji];
  const digit = (text: string | undefined) => (text === undefined || text === "" ? 0 : KANJI_DIGITS.indexOf(text));
  return String((kanji.includes("十") ? Math.max(1, digit(tens)) * 10 : 0) + digit(ones));
}

/** 本町一丁目2番3号, 本町1-2-3 and ﾎﾝﾏﾁ1－2－3 all become the same key. */
export function addressKey(address: string): string {
  return toSearchKey(address)
    .replace(/([〇一二三四五六七八九十]+)(?=丁目|番|号)/g, (kanji) => kanjiNumber(kanji))
    .replace(/(\d+)丁目/g, "$1-")
    .replace(/(\d+)番地?/g, "$1-")
    .replace(/(\d+)号/g, "$1")
    .replace(/-+/g, "-")
    .replace(/-$/, "");
}

/** The full address of a profile as one key, for "contains" matching against what the crew typed. */
function storedAddressKey(profile: ProfileDocument): string {
  const { prefecture, city, street, building } = profile.person.address;
  return addressKey(`${prefecture}${city}${street}${building ?? ""}`);
}

/** Checks the input: a reason, and either a card code alone or a name with a date of birth and/or an address. */
function parseLookup(input: EmergencyLookupInput): LookupRequest {
  if (input.reason == null || input.reason.trim() === "") {
    throw badUserInput("input.reason: 照会の理由が必要です (a reason is required for every emergency look-up)", "input.reason");
  }
  const { reason, incidentNumber, name, dateOfBirth, address } = validated(lookupInputSchema, input, "input", KEEP_NULLS);
  if (input.cardCode != null && input.cardCode.trim() !== "") {
    if (name != null || dateOfBirth != null || address != null) {
      throw badUserInput("input.cardCode: カードコードだけで照会します (a card code is looked up on its own)", "input.cardCode");
    }
    const code = normalizeCardCode(input.cardCode);
    if (!code.ok) throw badUserInput(`input.cardCode: ${CARD_CODE_PROBLEMS[code.problem]}`, "input.cardCode");
    return { criteria: { method: "CARD_CODE", cardCode: code.code }, reason, incidentNumber };
  }
  if (name == null) {
    throw badUserInput("input.name: カードコード、または氏名と生年月日・住所を指定してください (give a card code, or a name with a date of birth or an address)", "input.name");
  }
  if (dateOfBirth == null && address == null) {
    throw badUserInput("input.dateOfBirth: 氏名だけでは照会できません。生年月日か住所を加えてください (a name needs a date of birth or an address)", "input.dateOfBirth");
  }
  const method = dateOfBirth != null ? ("NAME_AND_DATE_OF_BIRTH" as const) : ("NAME_AND_ADDRESS" as const);
  return {
    criteria: { method, nameKey: toSearchKey(name), dateOfBirth: dateOfBirth ?? null, addressKey: address == null ? null : addressKey(address) },
    reason,
    incidentNumber,
  };
}

/**
 * Counts one look-up of the caller in the current fixed window, atomically in the database so the limit holds across
 * replicas; returns how long to wait when the limit is exceeded.
 */
async function countLookup(context: EmergencyContext, subject: string): Promise<number | null> {
  const { max, windowSeconds } = context.settings.lookupRateLimit;
  const windowMs = windowSeconds * 1000;
  const start = Math.floor(context.now.getTime() / windowMs) * windowMs;
  const endsAt = new Date(start + windowMs);
  const increment = () =>
    context.models.LookupCounter.findOneAndUpdate(
      { _id: `${subject}:${start}` },
      { $inc: { count: 1 }, $setOnInsert: { expiresAt: endsAt } },
      { upsert: true, returnDocument: "after" },
    ).lean();
  let counter;
  try {
    counter = await increment();
  } catch (error) {
    // Two first look-ups of a window raced to insert the counter: the loser's retry finds it.
    if ((error as { code?: unknown }).code !== 11000) throw error;
    counter = await increment();
  }
  if (counter === null || counter.count <= max) return null;
  return Math.max(1, Math.ceil((endsAt.getTime() - context.now.getTime()) / 1000));
}

function matches(profile: ProfileDocument, criteria: Criteria): boolean {
  if (!consentCovers(profile, "EMERGENCY_SERVICES")) return false;
  if (criteria.method === "CARD_CODE") return profile.cardCode === criteria.cardCode;
  if (criteria.dateOfBirth !== null && profile.person.dateOfBirth !== criteria.dateOfBirth) return false;
  return criteria.addressKey === null || storedAddressKey(profile).includes(criteria.addressKey);
}

/**
 * Runs an emergency look-up for EMS or ER staff. `sections` are the profile sections the operation selected; they
 * are what the access log says was returned. The profile is read and its entry (which is also the access window: see
 * `openWindow`) written in one transaction, and returned only once that is committed; a look-up that matched no one,
 * several people, or hit the rate limit is logged too.
 */
export async function emergencyLookup(context: EmergencyContext, input: EmergencyLookupInput, sections: ProfileSection[]): Promise<LookupResult> {
  const { identity, models, settings, now } = context;
  if (!isEmergencyStaff(identity) || identity.subject === undefined) {
    throw forbidden("救急照会は救急隊・救急外来の職員のみ使えます (emergency look-ups are for EMS and ER staff)");
  }
  const { criteria, reason, incidentNumber } = parseLookup(input);
  const logged = { reason, incidentNumber, lookupMethod: criteria.method };

  const retryAfterSeconds = await countLookup(context, identity.subject);
  if (retryAfterSeconds !== null) {
    await appendLog(context, { ...logged, action: "LOOKUP", outcome: "RATE_LIMITED", profileIds: [], sections: [] });
    throw rateLimited(retryAfterSeconds);
  }

  const filter = criteria.method === "CARD_CODE" ? { cardCode: criteria.cardCode } : { nameKeys: criteria.nameKey };
  return models.Profile.db.transaction(async (session) => {
    const found = await models.Profile.find(filter).session(session).limit(200).lean<ProfileDocument[]>();
    const matched = found.filter((profile) => matches(profile, criteria));
    if (matched.length !== 1) {
      const shown = matched.slice(0, MAX_CANDIDATES);
      const outcome: AccessOutcomeValue = matched.length === 0 ? "NO_MATCH" : "AMBIGUOUS";
      const entry = await appendLogInTransaction(
        context,
        { ...logged, action: "LOOKUP", outcome, profileIds: shown.map((p) => p._id), sections: outcome === "AMBIGUOUS" ? ["CANDIDATES"] : [] },
        session,
      );
      const candidates = shown.map((p) => ({ name: p.person.name, age: ageOn(p.person.dateOfBirth, now), district: p.person.address.district }));
      return { outcome, profile: null, candidates, accessLogEntryId: entry._id, accessWindowEndsAt: null };
    }
    const profile = matched[0] as ProfileDocument;
    const endsAt = new Date(now.getTime() + settings.accessWindowMinutes * 60_000);
    const entry = await appendLogInTransaction(
      context,
      { ...logged, action: "LOOKUP", outcome: "ALLOWED", profileIds: [profile._id], sections, accessWindowEndsAt: endsAt },
      session,
    );
    return { outcome: "ALLOWED", profile: { ...profile, access: "LOOKUP" }, candidates: [], accessLogEntryId: entry._id, accessWindowEndsAt: endsAt };
  });
}
