// The notice services: create a draft once per idempotency key, send (publishing transitionNoticeReceived to the recipient), open, acknowledge, record the first home visit, and the audited reads.
import { trusted } from "mongoose";
import type { QueryFilter } from "mongoose";
import {
  badUserInput,
  conflict,
  createOnce,
  creationStamp,
  domainEvent,
  forbidden,
  parseInstant,
  parseObjectId,
  parsePage,
  storedStamp,
  tokyoDate,
  validated,
} from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { CreateTransitionNoticeInput, FirstServiceVisitInput } from "./generated/resolvers-types";
import type { TransitionsContext } from "./context";
import { appendLog, authorisedRead } from "./access";
import { createNoticeSchema, visitSchema } from "./domain";
import { resolvePatient, resolveSenderContact } from "./parties";
import type { AccessAction, NoticeDocument } from "./models";

/** The caller's member id; notices are sent and received by signed-in professionals only. */
function professional(identity: Identity): string {
  if (identity.role !== "PROFESSIONAL" || identity.memberId === undefined) {
    throw forbidden("入退院連絡票は専門職（メンバー）のみ扱えます (only signed-in professionals with a member id handle transition notices)");
  }
  return identity.memberId;
}

/**
 * Reads a notice for the caller, logged (allowed or refused): BAD_USER_INPUT for a malformed id; an unknown id is
 * logged and refused exactly like a notice the caller may not read, so refusals never tell what exists.
 */
export async function requireNotice(context: TransitionsContext, id: string, action: AccessAction, field = "id"): Promise<NoticeDocument> {
  const noticeId = parseObjectId(id, field);
  const notice = await context.loaders.notice.load(id);
  return authorisedRead(context, notice ?? { _id: noticeId }, action);
}

/** Creates a draft by the calling professional; a retry with the same key and input returns the first draft. */
export async function createNotice(context: TransitionsContext, raw: CreateTransitionNoticeInput, rawKey: string): Promise<NoticeDocument> {
  const { identity, models, now } = context;
  const senderId = professional(identity);
  const input = validated(createNoticeSchema, raw, "input");
  const creation = creationStamp(identity, rawKey, "idempotencyKey", raw, now);
  const { document, created } = await createOnce(models.Notice, creation, async () => {
    // Asked of the peers only when the notice is really created, never for a retry.
    const senderResourceId = identity.organizationId ?? null;
    const [patient, senderContact] = await Promise.all([
      resolvePatient(context.peers, identity, input.patient),
      resolveSenderContact(context.peers, identity, senderId, senderResourceId),
    ]);
    const [inserted] = await models.Notice.create([
      {
        ...input,
        patient,
        status: "DRAFT",
        senderId,
        senderResourceId,
        senderContact,
        firstServiceVisit: null,
        creation: storedStamp(creation),
        createdAt: now,
      },
    ]);
    if (inserted === undefined) throw new Error("the notice was not created");
    return inserted.toObject();
  });
  if (!created) return authorisedRead(context, document, "READ");
  await appendLog(context, document, "CREATE", "ALLOWED");
  return document;
}

/**
 * Moves a notice the caller was allowed to read (the read logged) from one of `from` to the next status, atomically:
 * a concurrent change makes the filter miss, which is a CONFLICT.
 */
async function transition(
  context: TransitionsContext,
  notice: NoticeDocument,
  actor: "senderId" | "recipientId",
  from: NoticeDocument["status"][],
  set: Partial<NoticeDocument>,
): Promise<NoticeDocument> {
  const memberId = professional(context.identity);
  if (notice[actor] !== memberId) {
    throw forbidden(actor === "senderId" ? "送信者のみできます (only the sender may do this)" : "受信者のみできます (only the recipient may do this)");
  }
  const filter: QueryFilter<NoticeDocument> = { _id: notice._id, status: trusted({ $in: from }) };
  const updated = await context.models.Notice.findOneAndUpdate(filter, { $set: set }, { returnDocument: "after" }).lean<NoticeDocument>();
  if (updated === null) throw conflict(`id: 状態が ${notice.status} のため実行できません (not possible while the notice is ${notice.status})`, "id");
  return updated;
}

/** Sends a draft (sender only) and notifies the recipient after the change is stored. */
export async function sendNotice(context: TransitionsContext, id: string): Promise<NoticeDocument> {
  const notice = await requireNotice(context, id, "SEND");
  const sent = await transition(context, notice, "senderId", ["DRAFT"], { status: "SENT", sentAt: context.now });
  await context.pubsub?.publish(domainEvent("transitionNoticeReceived", { noticeId: sent._id.toHexString(), recipientId: sent.recipientId }));
  return sent;
}

/** The recipient opened it; opening it again changes nothing. */
export async function markReceived(context: TransitionsContext, id: string): Promise<NoticeDocument> {
  const notice = await requireNotice(context, id, "RECEIVE");
  if (notice.status !== "SENT" && notice.recipientId === context.identity.memberId) return notice;
  return transition(context, notice, "recipientId", ["SENT"], { status: "RECEIVED", receivedAt: context.now });
}

/** The recipient acknowledges it (opening it on the way when not yet opened). */
export async function acknowledge(context: TransitionsContext, id: string): Promise<NoticeDocument> {
  const notice = await requireNotice(context, id, "ACKNOWLEDGE");
  return transition(context, notice, "recipientId", ["SENT", "RECEIVED"], {
    status: "ACKNOWLEDGED",
    receivedAt: notice.receivedAt ?? context.now,
    acknowledgedAt: context.now,
  });
}

/** Records the first home visit after a sent discharge notice, once; by anyone who may read the notice. */
export async function recordFirstVisit(context: TransitionsContext, noticeId: string, raw: FirstServiceVisitInput): Promise<NoticeDocument> {
  const memberId = professional(context.identity);
  const visit = validated(visitSchema, raw, "input");
  const notice = await requireNotice(context, noticeId, "RECORD_VISIT", "noticeId");
  if (notice.type !== "DISCHARGE_NOTICE" || notice.status === "DRAFT") {
    throw badUserInput("noticeId: 送信済みの退院連絡にのみ記録できます (only a sent discharge notice takes a first visit)", "noticeId");
  }
  if (visit.date > tokyoDate(context.now)) {
    throw badUserInput("input.date: 未来の訪問は記録できません (a visit cannot be recorded before it happens)", "input.date");
  }
  const discharged = notice.discharge?.plannedDischargeDate ?? null;
  if (discharged !== null && visit.date < discharged) {
    throw badUserInput(
      `input.date: 退院日（${discharged}）より前の訪問は退院後の最初の訪問ではありません (a first visit after discharge cannot be before the discharge on ${discharged})`,
      "input.date",
    );
  }
  const record = {
    ...visit,
    providerId: visit.providerId ?? context.identity.organizationId ?? null,
    recordedById: memberId,
    recordedAt: context.now,
    plannedDischargeDate: notice.discharge?.plannedDischargeDate ?? null,
  };
  const updated = await context.models.Notice.findOneAndUpdate(
    { _id: notice._id, firstServiceVisit: null },
    { $set: { firstServiceVisit: record } },
    { returnDocument: "after" },
  ).lean<NoticeDocument>();
  if (updated === null) throw conflict("noticeId: 最初の訪問は記録済みです (the first visit is already recorded)", "noticeId");
  return updated;
}

/** Notices sent to the caller and not yet opened, newest first; each one returned is logged as read. */
export async function unreadNotices(context: TransitionsContext, rawFirst: number | null | undefined): Promise<NoticeDocument[]> {
  const memberId = professional(context.identity);
  const { first } = parsePage({ first: rawFirst });
  const unread = await context.models.Notice.find({ recipientId: memberId, status: "SENT" })
    .sort({ sentAt: -1, _id: -1 })
    .limit(first)
    .lean<NoticeDocument[]>();
  return Promise.all(unread.map((notice) => authorisedRead(context, notice, "READ")));
}

/** The notices the caller wrote (drafts included, or only those of `statuses`), newest first, created before `before` when given; each one returned is logged as read. */
export async function sentNotices(
  context: TransitionsContext,
  rawStatuses: readonly NoticeDocument["status"][] | null | undefined,
  rawFirst: number | null | undefined,
  rawBefore: unknown,
): Promise<NoticeDocument[]> {
  const memberId = professional(context.identity);
  const { first } = parsePage({ first: rawFirst });
  const before = rawBefore == null ? null : parseInstant(rawBefore, "before");
  const filter: QueryFilter<NoticeDocument> = { senderId: memberId };
  if (rawStatuses != null && rawStatuses.length > 0) filter.status = trusted({ $in: [...rawStatuses] });
  if (before !== null) filter.createdAt = trusted({ $lt: before });
  const sent = await context.models.Notice.find(filter).sort({ createdAt: -1, _id: -1 }).limit(first).lean<NoticeDocument[]>();
  return Promise.all(sent.map((notice) => authorisedRead(context, notice, "READ")));
}

/** The caller's own inbox; anyone else's is refused. */
export async function inbox(context: TransitionsContext, id: string): Promise<{ id: string; unreadCount: number }> {
  parseObjectId(id, "id");
  if (professional(context.identity) !== id) throw forbidden("自分の受信箱のみ見られます (only your own inbox)");
  return { id, unreadCount: await context.models.Notice.countDocuments({ recipientId: id, status: "SENT" }) };
}
