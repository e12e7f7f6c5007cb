// Who may see and change a notice: its sender and recipient, their institutions and the patient's care team; every read, allowed or refused, goes to the append-only access log.
import { forbidden } from "@tsunagu/service-kit";
import type { Identity } from "@tsunagu/service-kit";
import type { TransitionsContext } from "./context";
import type { AccessAction, AccessLogDocument, NoticeDocument } from "./models";

/** True for the sender, the recipient, a member of either institution, or a member of the care team; a draft only for its sender. */
export function mayRead(notice: NoticeDocument, identity: Identity): boolean {
  if (identity.role !== "PROFESSIONAL") return false;
  const { memberId, organizationId } = identity;
  if (notice.status === "DRAFT") return memberId !== undefined && memberId === notice.senderId;
  const asMember = memberId !== undefined && (memberId === notice.senderId || memberId === notice.recipientId || notice.careTeamIds.includes(memberId));
  const asInstitution = organizationId !== undefined && (organizationId === notice.senderResourceId || organizationId === notice.recipientResourceId);
  return asMember || asInstitution;
}

/** The refusal of a read that is not allowed. */
export function readRefused(): Error {
  return forbidden(
    "この連絡票を閲覧する権限がありません（送信者・受信者・その機関・ケアチームのみ） (only the sender, the recipient, their institutions and the care team may read this notice)",
  );
}

/** Appends one entry for the caller of `context` at the request's moment; entries of one tick are one insert. */
export function appendLog(
  context: TransitionsContext,
  notice: Pick<NoticeDocument, "_id">,
  action: AccessAction,
  outcome: "ALLOWED" | "DENIED",
): Promise<AccessLogDocument> {
  const { identity } = context;
  return context.loaders.appendLog.load({
    at: context.now,
    noticeId: notice._id,
    action,
    outcome,
    actor: {
      subject: identity.subject ?? null,
      role: identity.role,
      memberId: identity.memberId ?? null,
      organizationId: identity.organizationId ?? null,
      profession: identity.profession ?? null,
    },
    requestId: context.requestId,
  });
}

/**
 * Logs the attempt and returns the notice when the caller may read it; otherwise logs the refusal and throws FORBIDDEN.
 * A notice that does not exist (only its requested id) is logged and refused the same way.
 */
export async function authorisedRead(
  context: TransitionsContext,
  notice: NoticeDocument | Pick<NoticeDocument, "_id">,
  action: AccessAction,
): Promise<NoticeDocument> {
  const found = "status" in notice ? notice : null;
  const allowed = found !== null && mayRead(found, context.identity);
  await appendLog(context, notice, action, allowed ? "ALLOWED" : "DENIED");
  if (!allowed || found === null) throw readRefused();
  return found;
}

/** Throws FORBIDDEN unless the caller is a coordinator or an administrator (who check the access log's integrity). */
export function requireCoordinator(identity: Identity): void {
  if (identity.role !== "COORDINATOR" && identity.role !== "ADMIN") {
    throw forbidden("監査記録の検査はコーディネーター・管理者のみできます (coordinators and administrators only)");
  }
}
