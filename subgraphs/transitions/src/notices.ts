// The notice services: create a draft once per idempotency key, send (publishing transitionNoticeReceived to the recipient), open, acknowledge, record the first home visit, and the audited reads.
import { trusted } from "mongoose";
import type { QueryFilter } from "mongoose";
import {
  badUserInput,
  conflict,
  duplicateKeyField,
  forbidden,
  creationStamp,
  findEarlierCreation,
  idempotencyKeySchema,
  parseObjectId,
  parsePage,
  validated,
} from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { CreateTransitionNoticeInput, FirstServiceVisitInput } from "./generated/resolvers-types";
import type { TransitionsContext } from "./context";
import { appendLog, authorisedRead } from "./access";
import { createNoticeSchema, visitSchema } from "./domain";
import type { AccessAction, NoticeDocument } from "./models";

/** The topic a recipient's notices are published on (gateway subscription transitionNoticeReceived). */
export const recipientTopic = (memberId: string) => `transitions:recipient:${memberId}`;

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
  const key = validated(idempotencyKeySchema, rawKey, "idempotencyKey");
  const input = validated(createNoticeSchema, raw, "input");
  const creation = creationStamp(identity, key, raw);
  const earlier = async (): Promise<NoticeDocument | null> => {
    const found = await findEarlierCreation<NoticeDocument>(models.Notice, creation);
    return found === null ? null : authorisedRead(context, found, "READ");
  };
  const first = await earlier();
  if (first !== null) return first;
  try {
    const [created] = await models.Notice.create([
      {
        ...input,
        status: "DRAFT",
        senderId,
        senderResourceId: identity.organizationId ?? null,
        firstServiceVisit: null,
        creation,
        createdAt: now,
      },
    ]);
    if (created === undefined) throw new Error("the notice was not created");
    const notice = created.toObject() as NoticeDocument;
    await appendLog(context, notice, "CREATE", "ALLOWED");
    return notice;
  } catch (error) {
    if (duplicateKeyField(error) !== "creation.by") throw error;
    const winner = await earlier();
    if (winner === null) throw error;
    return winner;
  }
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
  await context.pubsub?.publish({ type: "transitionNoticeReceived", topic: recipientTopic(sent.recipientId), payload: { noticeId: sent._id.toHexString() } });
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
  const unread = await context.models.Notice.find({ recipientId: memberId, status: "SENT" }).sort({ sentAt: -1, _id: -1 }).limit(first).lean<NoticeDocument[]>();
  return Promise.all(unread.map((notice) => authorisedRead(context, notice, "READ")));
}

/** The caller's own inbox; anyone else's is refused. */
export async function inbox(context: TransitionsContext, id: string): Promise<{ id: string; unreadCount: number }> {
  parseObjectId(id, "id");
  if (professional(context.identity) !== id) throw forbidden("自分の受信箱のみ見られます (only your own inbox)");
  return { id, unreadCount: await context.models.Notice.countDocuments({ recipientId: id, status: "SENT" }) };
}
