// The break-glass look-up for EMS and ER staff: input checked, the per-user rate limit counted in the database, the person found only by criteria no one can guess (card code, name with date of birth, or name with the full address and sex and age), a crew's retry answered again without a second disclosure, and the answer returned only once its access log entry (which opens the access window) is committed to the chained log.
import { createHash } from "node:crypto";
import { z } from "zod";
import { badUserInput, calendarDate, canonicalJson, conflict, forbidden, KEEP_NULLS, rateLimited, toSearchKey, validated } from "@tsunagu/service-kit";
import type { Types } from "mongoose";
import { trusted } from "mongoose";
import type { EmergencyLookupInput, ProfileSection, Sex } from "./generated/resolvers-types";
import { consentCovers, isEmergencyStaff } from "./access";
import type { ProfileView } from "./access";
import { appendLog } from "./audit";
import { CARD_CODE_PROBLEMS, normalizeCardCode } from "./card-code";
import type { EmergencyContext } from "./context";
import { ageOn, text } from "./domain";
import type { AccessOutcomeValue, LookupMethodValue } from "./domain";
import type { AccessLogDocument, LookupRequestRecord, ProfileDocument } from "./models";

/** At most this many candidates are shown when several people meet the criteria (people with the same name and date of birth). */
export const MAX_CANDIDATES = 10;

/** What the crew is told when several people match: only what tells them apart, never medical content. */
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
  | {
      method: Exclude<LookupMethodValue, "CARD_CODE">;
      nameKey: string;
      dateOfBirth: string | null;
      addressKey: string | null;
      sex: Sex | null;
      age: number | null;
    };

interface LookupRequest {
  criteria: Criteria;
  reason: string;
  incidentNumber: string | null;
  /** The crew's retry key; null when the request carries no key. */
  requestKey: string | null;
}

/** Whitespace, format characters (zero-width space, bidi marks...), controls and separators: invisible on a screen. */
const INVISIBLE = /[\s\p{Cc}\p{Cf}\p{Z}]/gu;

/** How many characters of `value` a person can see. */
export function visibleLength(value: string): number {
  return [...value.replace(INVISIBLE, "")].length;
}

const lookupInputSchema = z.object({
  reason: text(500).refine((reason) => visibleLength(reason) >= 2, "理由を2文字以上入力してください (give the reason: at least 2 visible characters)"),
  incidentNumber: text(50)
    .nullish()
    .transform((value) => value ?? null),
  name: text(100).nullish(),
  dateOfBirth: calendarDate.nullish(),
  address: text(200).nullish(),
  age: z.number().int().min(0, "0以上です (at least 0)").max(130, "130以下です (at most 130)").nullish(),
  requestKey: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{8,100}$/, "8〜100文字の英数字と . _ : - です (8 to 100 letters, digits, '.', '_', ':' or '-')")
    .nullish(),
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
    .replace(/[‐－―−-]+(?=\d)/g, "-")
    .replace(/-+/g, "-")
    .replace(/-$/, "");
}

/** The ways a crew may write a profile's address: with or without prefecture and city, with or without the building. */
function storedAddressForms(profile: ProfileDocument): string[] {
  const { prefecture, city, street, building } = profile.person.address;
  const streets = building == null || building === "" ? [street] : [street, `${street}${building}`];
  return streets.flatMap((line) => [`${prefecture}${city}${line}`, `${city}${line}`, line]).map(addressKey);
}

/**
 * True when `typed` is one of the profile's address forms from its first character, down to the 番地 at least:
 * only the last number (the 号) may be left out. A town name, a fragment or a substring never matches.
 */
export function fullAddressMatches(typed: string, profile: ProfileDocument): boolean {
  return storedAddressForms(profile).some((form) => {
    if (form === typed) return true;
    if (!form.startsWith(`${typed}-`)) return false;
    return /^-\d+$/.test(form.slice(typed.length)) && /\d+-\d+$/.test(typed);
  });
}

/**
 * A digest of what was asked and which sections were selected, so a retry key reused for another look-up, or for
 * more of the profile than the first request disclosed and logged, is refused.
 */
function fingerprintOf(request: LookupRequest, sections: ProfileSection[]): string {
  const { criteria, reason, incidentNumber } = request;
  return createHash("sha256")
    .update(canonicalJson({ criteria, reason, incidentNumber, sections: [...sections].sort() }))
    .digest("hex");
}

/**
 * Checks the input: a reason of at least two visible characters, and a card code alone, or a name with the date of
 * birth, or a name with an address down to the house number and the date of birth or sex and age. Anything less is
 * refused before anything is read.
 */
function parseLookup(input: EmergencyLookupInput): LookupRequest {
  if (input.reason == null || visibleLength(input.reason) === 0) {
    throw badUserInput("input.reason: 照会の理由が必要です (a reason is required for every emergency look-up)", "input.reason");
  }
  const { reason, incidentNumber, name, dateOfBirth, address, age, requestKey } = validated(lookupInputSchema, input, "input", KEEP_NULLS);
  const sex = input.sex ?? null;
  const withRetry = (criteria: Criteria): LookupRequest => ({ criteria, reason, incidentNumber, requestKey: requestKey ?? null });
  if (input.cardCode != null && input.cardCode.trim() !== "") {
    if (name != null || dateOfBirth != null || address != null || sex !== null || age != null) {
      throw badUserInput("input.cardCode: カードコードだけで照会します (a card code is looked up on its own)", "input.cardCode");
    }
    const code = normalizeCardCode(input.cardCode);
    if (!code.ok) throw badUserInput(`input.cardCode: ${CARD_CODE_PROBLEMS[code.problem]}`, "input.cardCode");
    return withRetry({ method: "CARD_CODE", cardCode: code.code });
  }
  if (name == null) {
    throw badUserInput("input.name: カードコード、または氏名と生年月日を指定してください (give a card code, or a name with the date of birth)", "input.name");
  }
  const typedAddress = address == null ? null : addressKey(address);
  if (typedAddress !== null && !/\d/.test(typedAddress)) {
    throw badUserInput("input.address: 住所は番地まで入力してください (give the address down to the house number)", "input.address");
  }
  if (dateOfBirth == null) {
    if (typedAddress === null) {
      throw badUserInput("input.dateOfBirth: 氏名だけでは照会できません。生年月日を加えてください (a name needs the date of birth)", "input.dateOfBirth");
    }
    if (sex === null || age == null) {
      throw badUserInput(
        "input.dateOfBirth: 氏名と住所には生年月日、または性別と年齢を加えてください (a name with an address needs the date of birth, or the sex and the age)",
        "input.dateOfBirth",
      );
    }
  }
  const method = dateOfBirth != null ? ("NAME_AND_DATE_OF_BIRTH" as const) : ("NAME_AND_ADDRESS" as const);
  return withRetry({ method, nameKey: toSearchKey(name), dateOfBirth: dateOfBirth ?? null, addressKey: typedAddress, sex, age: age ?? null });
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

function matches(profile: ProfileDocument, criteria: Criteria, now: Date): boolean {
  if (!consentCovers(profile, "EMERGENCY_SERVICES")) return false;
  if (criteria.method === "CARD_CODE") return profile.cardCode === criteria.cardCode;
  const { person } = profile;
  if (criteria.dateOfBirth !== null && person.dateOfBirth !== criteria.dateOfBirth) return false;
  if (criteria.sex !== null && person.sex !== criteria.sex) return false;
  if (criteria.age !== null && ageOn(person.dateOfBirth, now) !== criteria.age) return false;
  return criteria.addressKey === null || fullAddressMatches(criteria.addressKey, profile);
}

const candidateOf = (profile: ProfileDocument, now: Date): LookupCandidate => ({
  name: profile.person.name,
  age: ageOn(profile.person.dateOfBirth, now),
  district: profile.person.address.district,
});

/**
 * The answer of an earlier look-up by the same user with the same request key, read again without a new entry, while
 * its access window is open; null when there is none (or its window has closed). CONFLICT when the key was used for
 * another look-up.
 */
async function replayed(context: EmergencyContext, retry: LookupRequestRecord): Promise<LookupResult | null> {
  const { models, now, identity, settings } = context;
  const earlier = await models.AccessLog.findOne({ "actor.subject": identity.subject, "lookupRequest.key": retry.key, action: "LOOKUP" })
    .sort({ at: -1, _id: -1 })
    .lean<AccessLogDocument>();
  if (earlier === null) return null;
  if (earlier.lookupRequest?.fingerprint !== retry.fingerprint) {
    throw conflict(
      "input.requestKey: この再送キーは別の照会（条件・理由・項目が異なる）に使われています (this request key was used for another look-up: other criteria, reason or sections)",
      "input.requestKey",
    );
  }
  const windowEndsAt = earlier.accessWindowEndsAt ?? new Date(earlier.at.getTime() + settings.accessWindowMinutes * 60_000);
  if (windowEndsAt <= now) return null;
  const profiles = earlier.profileIds.length === 0 ? [] : await models.Profile.find({ _id: trusted({ $in: earlier.profileIds }) }).lean<ProfileDocument[]>();
  const covered = profiles.filter((profile) => consentCovers(profile, "EMERGENCY_SERVICES"));
  const base = { accessLogEntryId: earlier._id, accessWindowEndsAt: earlier.accessWindowEndsAt };
  if (earlier.outcome === "ALLOWED" && covered.length === 1) {
    return { ...base, outcome: "ALLOWED", profile: { ...covered[0], access: "LOOKUP" }, candidates: [] };
  }
  if (earlier.outcome === "AMBIGUOUS") return { ...base, outcome: "AMBIGUOUS", profile: null, candidates: covered.map((p) => candidateOf(p, now)) };
  return { ...base, outcome: "NO_MATCH", profile: null, candidates: [], accessWindowEndsAt: null };
}

/** Look-ups with a request key running in this process, by user and key, per database (the access log model). */
const lookupsInFlight = new WeakMap<object, Map<string, Promise<LookupResult>>>();

function inFlightOf(context: EmergencyContext): Map<string, Promise<LookupResult>> {
  let running = lookupsInFlight.get(context.models.AccessLog);
  if (running === undefined) {
    running = new Map();
    lookupsInFlight.set(context.models.AccessLog, running);
  }
  return running;
}

/**
 * Runs an emergency look-up for EMS or ER staff. `sections` are the profile sections the operation selected; they
 * are what the access log says was returned. The profile is returned only once its entry (which is also the access
 * window: see `openWindow`) is committed to the chained log; a look-up that matched no one, several people, or hit the
 * rate limit is logged too. A retry with the same request key inside the access window returns the first answer and
 * writes nothing; copies of one request in flight at once wait for the first.
 */
export async function emergencyLookup(context: EmergencyContext, input: EmergencyLookupInput, sections: ProfileSection[]): Promise<LookupResult> {
  const { identity } = context;
  if (!isEmergencyStaff(identity) || identity.subject === undefined) {
    throw forbidden("救急照会は救急隊・救急外来の職員のみ使えます (emergency look-ups are for EMS and ER staff)");
  }
  const request = parseLookup(input);
  if (request.requestKey === null) return freshLookup(context, request, sections, null);
  const retry = { key: request.requestKey, fingerprint: fingerprintOf(request, sections) };
  const running = inFlightOf(context);
  const slot = `${identity.subject}\0${retry.key}`;
  const first = running.get(slot);
  if (first !== undefined) {
    await first.catch(() => undefined);
    return (await replayed(context, retry)) ?? freshLookup(context, request, sections, retry);
  }
  const answer = (async () => (await replayed(context, retry)) ?? freshLookup(context, request, sections, retry))();
  running.set(slot, answer);
  try {
    return await answer;
  } finally {
    if (running.get(slot) === answer) running.delete(slot);
  }
}

/** Counts the look-up against the rate limit, finds who matches, and appends the entry before answering. */
async function freshLookup(
  context: EmergencyContext,
  request: LookupRequest,
  sections: ProfileSection[],
  retry: LookupRequestRecord | null,
): Promise<LookupResult> {
  const { identity, models, settings, now } = context;
  const { criteria, reason, incidentNumber } = request;
  const logged = { reason, incidentNumber, lookupMethod: criteria.method, lookupRequest: retry };

  const retryAfterSeconds = await countLookup(context, identity.subject as string);
  if (retryAfterSeconds !== null) {
    await appendLog(context, { ...logged, lookupRequest: null, action: "LOOKUP", outcome: "RATE_LIMITED", profileIds: [], sections: [] });
    throw rateLimited(retryAfterSeconds);
  }

  const filter = criteria.method === "CARD_CODE" ? { cardCode: criteria.cardCode } : { nameKeys: criteria.nameKey };
  const found = await models.Profile.find(filter).limit(200).lean<ProfileDocument[]>();
  const matched = found.filter((profile) => matches(profile, criteria, now));
  if (matched.length !== 1) {
    const shown = matched.slice(0, MAX_CANDIDATES);
    const outcome: AccessOutcomeValue = matched.length === 0 ? "NO_MATCH" : "AMBIGUOUS";
    const entry = await appendLog(context, {
      ...logged,
      action: "LOOKUP",
      outcome,
      profileIds: shown.map((p) => p._id),
      sections: outcome === "AMBIGUOUS" ? ["CANDIDATES"] : [],
    });
    return { outcome, profile: null, candidates: shown.map((p) => candidateOf(p, now)), accessLogEntryId: entry._id, accessWindowEndsAt: null };
  }
  const profile = matched[0];
  const endsAt = new Date(now.getTime() + settings.accessWindowMinutes * 60_000);
  const entry = await appendLog(context, { ...logged, action: "LOOKUP", outcome: "ALLOWED", profileIds: [profile._id], sections, accessWindowEndsAt: endsAt });
  return { outcome: "ALLOWED", profile: { ...profile, access: "LOOKUP" }, candidates: [], accessLogEntryId: entry._id, accessWindowEndsAt: endsAt };
}
