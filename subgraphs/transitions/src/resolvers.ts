// The transitions subgraph's resolvers: thin, each delegating to a service that authorises, logs and answers.
import { chainReportView } from "@tsunagu/service-kit";
import type { Resolvers } from "./generated/resolvers-types";
import { requireCoordinator } from "./access";
import { leadTimeBucket, withinFortyEightHours } from "./domain";
import { acknowledge, createNotice, inbox, markReceived, recordFirstVisit, requireNotice, sendNotice, unreadNotices } from "./notices";
import { scalarResolvers } from "./scalars";
import { admissionSheetHtml } from "./sheet";
import { transitionStats } from "./stats";

/** A reference to another subgraph's entity, when there is one. */
const entity = (id: string | null) => (id === null ? null : { id });

export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: {
    transitionNotice: (_root, { id }, context) => requireNotice(context, id, "READ"),
    unreadTransitionNotices: (_root, { first }, context) => unreadNotices(context, first),
    transitionInbox: (_root, { id }, context) => inbox(context, id),
    admissionSheetHtml: async (_root, { id }, context) => admissionSheetHtml(await requireNotice(context, id, "PRINT")),
    transitionStats: (_root, { from, to }, context) => transitionStats(context, from, to),
    transitionAccessLogIntegrity: async (_root, _args, context) => {
      requireCoordinator(context.identity);
      return chainReportView(await context.accessChain.verify());
    },
  },
  Mutation: {
    createTransitionNotice: (_root, { input, idempotencyKey }, context) => createNotice(context, input, idempotencyKey),
    sendTransitionNotice: (_root, { id }, context) => sendNotice(context, id),
    markTransitionNoticeReceived: (_root, { id }, context) => markReceived(context, id),
    acknowledgeTransitionNotice: (_root, { id }, context) => acknowledge(context, id),
    recordFirstServiceVisit: (_root, { noticeId, input }, context) => recordFirstVisit(context, noticeId, input),
  },
  TransitionNotice: {
    __resolveReference: ({ id }, context) => requireNotice(context, id, "READ"),
    id: (notice) => notice._id.toHexString(),
    sender: (notice) => ({ id: notice.senderId }),
    senderResource: (notice) => entity(notice.senderResourceId),
    recipient: (notice) => ({ id: notice.recipientId }),
    recipientResource: (notice) => entity(notice.recipientResourceId),
    careTeam: (notice) => notice.careTeamIds.map((id) => ({ id })),
    leadTime: (notice) => (notice.type === "DISCHARGE_NOTICE" && notice.sentAt !== null ? leadTimeBucket(notice.sentAt, notice.discharge) : null),
  },
  TransitionPatient: {
    emergencyProfile: (patient) => entity(patient.emergencyProfileId),
  },
  FirstServiceVisit: {
    provider: (visit) => entity(visit.providerId),
    recordedBy: (visit) => entity(visit.recordedById),
    withinFortyEightHours: (visit) => withinFortyEightHours(visit.plannedDischargeDate, visit.date),
  },
  TransitionContactRate: {
    resource: (rate) => ({ id: rate.resourceId }),
    rate: (rate) => (rate.cases === 0 ? null : rate.contacted / rate.cases),
  },
};
