// The consultation desk log (相談窓口): recording and updating entries, listing them, and figures by category and channel for a period; staff only.
import { trusted } from "mongoose";
import { badUserInput, creationStamp, findKeysetPage, insertOnce, KEEP_NULLS, keysetOf, notFound, parsePage, validated } from "@tsunagu/service-kit";
import type { SortKey } from "@tsunagu/service-kit";
import { assertStaff } from "./access";
import type { GroupsContext } from "./context";
import {
  CONSULTATION_CATEGORIES,
  CONSULTATION_CHANNELS,
  consultationFilterSchema,
  dateTimeSchema,
  parseId,
  recordConsultationSchema,
  requiredNotNull,
  updateConsultationSchema,
} from "./domain";
import type { ConsultationCategory, ConsultationChannel } from "./domain";
import { objectId } from "./models";
import type { ConsultationDocument } from "./models";
import { referencedId, requireMember } from "./people";

const LOG = "相談記録";

export async function findConsultation(context: GroupsContext, rawId: string): Promise<ConsultationDocument | null> {
  assertStaff(context.identity, LOG);
  return context.models.Consultation.findById(parseId(rawId, "id")).lean<ConsultationDocument>();
}

const CONSULTATION_ORDER: readonly SortKey[] = [
  { path: "receivedAt", direction: -1 },
  { path: "_id", direction: -1 },
];

/** The log, newest first, filtered by period, category and status. */
export async function listConsultations(context: GroupsContext, rawFilter: unknown, first: number | null | undefined, after: string | null | undefined) {
  assertStaff(context.identity, LOG);
  const filter = validated(consultationFilterSchema, rawFilter, "filter", KEEP_NULLS);
  const conditions: Record<string, unknown>[] = [];
  if (filter.from) conditions.push({ receivedAt: trusted({ $gte: filter.from }) });
  if (filter.to) conditions.push({ receivedAt: trusted({ $lt: filter.to }) });
  if (filter.categories?.length) conditions.push({ category: trusted({ $in: filter.categories }) });
  if (filter.statuses?.length) conditions.push({ status: trusted({ $in: filter.statuses }) });
  const matching = conditions.length > 0 ? { $and: conditions } : {};
  const [page, totalCount] = await Promise.all([
    findKeysetPage(
      keysetOf(CONSULTATION_ORDER, ["consultations", filter]),
      parsePage({ first, after }),
      matching,
      (query, sort, limit) => context.models.Consultation.find(query).sort(sort).limit(limit).lean<ConsultationDocument[]>(),
      (row) => [row.receivedAt, row._id],
    ),
    context.models.Consultation.countDocuments(matching),
  ]);
  return { ...page, totalCount };
}

export interface ConsultationStats {
  from: Date;
  to: Date;
  total: number;
  byCategory: { category: ConsultationCategory; count: number }[];
  byChannel: { channel: ConsultationChannel; count: number }[];
  byChannelCombination: { channels: ConsultationChannel[]; count: number }[];
}

/** Channels in one canonical order, so that a combination is stored (and grouped) one way only. */
function canonicalChannels(channels: readonly ConsultationChannel[]): ConsultationChannel[] {
  return CONSULTATION_CHANNELS.filter((channel) => channels.includes(channel));
}

/**
 * Figures for [from, to): every category (zeros included), each channel (a consultation received by phone and
 * e-mail counts under both), and each exact combination (Team Kamaishi reports 「電話及びメール」 on its own).
 */
export async function consultationStats(context: GroupsContext, rawFrom: unknown, rawTo: unknown): Promise<ConsultationStats> {
  assertStaff(context.identity, "相談件数の集計");
  const from = validated(dateTimeSchema, rawFrom, "from", KEEP_NULLS);
  const to = validated(dateTimeSchema, rawTo, "to", KEEP_NULLS);
  if (to <= from) throw badUserInput("to: 終了は開始より後にしてください (to must be after from)", "to");
  const period = { $match: { receivedAt: { $gte: from, $lt: to } } };
  const [categories, combinations] = await Promise.all([
    context.models.Consultation.aggregate<{ _id: ConsultationCategory; count: number }>([period, { $group: { _id: "$category", count: { $sum: 1 } } }]),
    context.models.Consultation.aggregate<{ _id: ConsultationChannel[]; count: number }>([period, { $group: { _id: "$channels", count: { $sum: 1 } } }]),
  ]);
  const byCategory = CONSULTATION_CATEGORIES.map((category) => ({
    category,
    count: categories.find((row) => row._id === category)?.count ?? 0,
  }));
  const byChannel = CONSULTATION_CHANNELS.map((channel) => ({
    channel,
    count: combinations.filter((row) => row._id.includes(channel)).reduce((sum, row) => sum + row.count, 0),
  }));
  const byChannelCombination = combinations
    .map((row) => ({ channels: canonicalChannels(row._id), count: row.count }))
    .sort((a, b) => b.count - a.count || a.channels.join().localeCompare(b.channels.join()));
  return { from, to, total: byCategory.reduce((sum, row) => sum + row.count, 0), byCategory, byChannel, byChannelCombination };
}

/** Records an entry; the handler defaults to the recording coordinator's member record. */
export async function recordConsultation(context: GroupsContext, rawInput: unknown, idempotencyKey: string): Promise<ConsultationDocument> {
  assertStaff(context.identity, LOG);
  const input = validated(recordConsultationSchema, rawInput, "input", KEEP_NULLS);
  const creation = creationStamp(context.identity, idempotencyKey, "idempotencyKey", input, new Date());
  const ownId = referencedId(context.identity.memberId);
  const handler = input.handledById
    ? await requireMember(context, input.handledById, "input.handledById")
    : ownId
      ? await context.loaders.member.load(ownId)
      : null;
  const { document } = await insertOnce(context.models.Consultation, creation, {
    receivedAt: input.receivedAt,
    channels: canonicalChannels(input.channels),
    requester: {
      profession: input.requester.profession ?? null,
      organizationName: input.requester.organizationName ?? null,
      organizationId: input.requester.organizationId ?? null,
    },
    category: input.category,
    summary: input.summary,
    status: input.status,
    handledById: handler?._id ?? null,
    resolution: input.resolution ?? null,
  });
  return document;
}

export async function updateConsultation(context: GroupsContext, rawId: string, rawInput: Record<string, unknown>): Promise<ConsultationDocument> {
  assertStaff(context.identity, LOG);
  const id = parseId(rawId, "id");
  requiredNotNull(rawInput, ["category", "summary", "status"], "input");
  const { handledById, ...changes } = validated(updateConsultationSchema, rawInput, "input", KEEP_NULLS);
  if (handledById) await requireMember(context, handledById, "input.handledById");
  const handler = handledById === undefined ? {} : { handledById: handledById === null ? null : objectId(handledById) };
  const updated = await context.models.Consultation.findByIdAndUpdate(
    id,
    { $set: { ...changes, ...handler } },
    { returnDocument: "after" },
  ).lean<ConsultationDocument>();
  if (updated === null) throw notFound("Consultation", id);
  return updated;
}
