// Surveys after an event: answers (by the attendee, or paper answers entered by the organiser), one per registration, and the summary: satisfaction on a four-point scale and the free-text comments.
import { Types, trusted } from "mongoose";
import { codedError, duplicateKeyField, storedStamp } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import { actorName, mayManage, ownsRegistration, refusal } from "./access";
import type { EventsContext } from "./context";
import { createOnceInTransaction } from "./create-once";
import { SATISFACTIONS, SATISFACTION_LABELS, SATISFIED_ANSWERS } from "./domain";
import type { Satisfaction, SurveyInput } from "./domain";
import { requireVisibleEvent } from "./access";
import type { SatisfactionTally } from "./loaders";
import type { SurveyResponseDocument } from "./models";

/** The satisfaction distribution as the schema returns it. */
export interface SatisfactionDistribution {
  responses: number;
  counts: { answer: Satisfaction; label: string; count: number; percent: number }[];
  satisfiedPercent: number | null;
}

/** What a SurveySummary is resolved from: the event and its distribution. */
export interface SurveySummarySource {
  eventId: Types.ObjectId;
  satisfaction: SatisfactionDistribution;
}

const percentOf = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;

/** Counts per answer → the four answers with counts and shares (one decimal), and the share of satisfied answers. */
export function distributionOf(tally: SatisfactionTally): SatisfactionDistribution {
  const responses = SATISFACTIONS.reduce((sum, answer) => sum + tally[answer], 0);
  return {
    responses,
    counts: SATISFACTIONS.map((answer) => ({
      answer,
      label: SATISFACTION_LABELS[answer],
      count: tally[answer],
      percent: responses === 0 ? 0 : percentOf(tally[answer], responses),
    })),
    satisfiedPercent:
      responses === 0
        ? null
        : percentOf(
            SATISFIED_ANSWERS.reduce((sum, answer) => sum + tally[answer], 0),
            responses,
          ),
  };
}

/**
 * Records an answer once per idempotency key. With `registrationId`, the attendee answers (signed in as the person,
 * or with the access code) and the profession comes from the registration; without it, the organiser or staff enter
 * a paper answer. A registration answers once (CONFLICT with reason SURVEY_ALREADY_ANSWERED).
 */
export async function submitSurvey(context: EventsContext, input: SurveyInput, stamp: CreationStamp): Promise<SurveyResponseDocument> {
  const { models, identity } = context;
  const event = await requireVisibleEvent(context, input.eventId, "input.eventId");
  let profession = input.profession;
  let registrationId: Types.ObjectId | undefined;
  if (input.registrationId !== undefined) {
    const registration = await context.loaders.registration.load(input.registrationId);
    if (registration === null || !registration.eventId.equals(event._id)) {
      throw codedError("NOT_FOUND", `Registration ${input.registrationId} was not found for this event`, {
        what: "Registration",
        id: input.registrationId,
        field: "input.registrationId",
      });
    }
    if (!ownsRegistration(registration, identity, context.accessCodes, input.accessCode) && !mayManage(event, identity)) {
      throw refusal(
        identity,
        "回答できるのは参加者本人（またはアクセスコード）と主催者です (only the attendee, with their access code, or the organiser may answer)",
      );
    }
    if (registration.status !== "REGISTERED") {
      throw codedError("CONFLICT", "参加確定の申込のみ回答できます (only a registered person answers the survey)", {
        reason: "NOT_REGISTERED",
        field: "input.registrationId",
      });
    }
    profession = registration.profession;
    registrationId = registration._id;
  } else if (!mayManage(event, identity)) {
    throw refusal(identity, "申込IDのない回答（紙の回答）は主催者・職員が入力します (answers without a registration are entered by the organiser or staff)");
  }
  const now = new Date();
  try {
    const { document } = await createOnceInTransaction(models, models.SurveyResponse, stamp, async (session) => {
      const _id = new Types.ObjectId();
      const record = {
        _id,
        eventId: event._id,
        ...(registrationId === undefined ? {} : { registrationId }),
        satisfaction: input.satisfaction,
        ...(input.comment === undefined ? {} : { comment: input.comment }),
        ...(profession === undefined ? {} : { profession }),
        submittedAt: now,
        enteredBy: actorName(identity),
        creation: storedStamp(stamp),
      };
      await models.SurveyResponse.create([record], { session });
      return _id;
    });
    return document;
  } catch (error) {
    if (duplicateKeyField(error) !== "registrationId") throw error;
    throw codedError("CONFLICT", "この申込のアンケートは回答済みです (this registration has already answered)", {
      reason: "SURVEY_ALREADY_ANSWERED",
      field: "input.registrationId",
    });
  }
}

/** The newest free-text comments of an event (at most `first`). */
export async function surveyComments(context: EventsContext, eventId: Types.ObjectId, first: number): Promise<string[]> {
  const rows = await context.models.SurveyResponse.find({ eventId, comment: trusted({ $type: "string" }) }, { comment: 1 })
    .sort({ submittedAt: -1 })
    .limit(first)
    .lean<Pick<SurveyResponseDocument, "comment">[]>();
  return rows.map((row) => row.comment ?? "");
}
