// The desk's queries (typed documents of web/src/operations/desk.graphql) over the public /graphql and the shapes of their answers the views use.
import { mutate, query } from "../client";
import { DeskDocument, QueueDocument, VerifyDocument } from "../generated/graphql";
import type { DeskQuery, DeskQueryVariables, QueuePageFragment, VerifyMutation } from "../generated/graphql";

export type { LeadTimeBucket } from "../generated/graphql";
export type DeskFigures = DeskQuery;
export type Coverage = DeskQuery["resourceCoverage"];
export type TargetProgress = DeskQuery["eventStats"]["targets"][number];
export type TransitionFigures = DeskQuery["transitionStats"];
export type VerificationQueue = QueuePageFragment;
export type QueuedResource = QueuePageFragment["edges"][number]["node"];

/** The period and threshold the figures are asked for: start and end (exclusive) of the fiscal year as DateTime, first and last day of the month of planned discharges as Date, and the moment before which verifications are stale. */
export type DeskPeriod = Omit<DeskQueryVariables, "first">;

const QUEUE_PAGE_SIZE = 20;

/** Every figure of the desk in one request: a caller who may not see one of them sees none (the request fails as a whole). */
export function loadDeskFigures(period: DeskPeriod): Promise<DeskFigures> {
  return query(DeskDocument, { ...period, first: QUEUE_PAGE_SIZE });
}

/** The next page of the verification queue. */
export async function loadMoreQueue(staleBefore: string, after: string): Promise<VerificationQueue> {
  const data = await query(QueueDocument, { staleBefore, after, first: QUEUE_PAGE_SIZE });
  return data.staleResources;
}

/** Records that a coordinator checked the resource's content now; answers who and when. */
export async function verifyResource(id: string): Promise<VerifyMutation["verifyResource"]["provenance"]> {
  const data = await mutate(VerifyDocument, { id });
  return data.verifyResource.provenance;
}
