// The desk's GraphQL documents over the public /graphql and the shapes of their answers (only the fields the desk shows).
import { requestGraphQL } from "../portal/graphql";

export interface CoverageCell {
  district: string;
  category: { code: string };
  count: number;
}

export interface Coverage {
  districts: string[];
  categories: { code: string; labelJa: string }[];
  cells: CoverageCell[];
}

export interface TargetProgress {
  indicator: string;
  label: string;
  target: number;
  actual: number | null;
  percentOfTarget: number | null;
}

export interface ProgrammeFigures {
  asOf: string;
  events: number;
  participants: number;
  targets: TargetProgress[];
}

export type LeadTimeBucket = "EIGHT_OR_MORE_DAYS" | "FIVE_TO_SEVEN" | "TWO_TO_FOUR" | "DAY_BEFORE" | "SAME_DAY" | "AFTER_DISCHARGE" | "UNKNOWN";

export interface TransitionFigures {
  dischargeNotices: number;
  leadTimes: { bucket: LeadTimeBucket; count: number }[];
  fiveDaysOrMoreShare: number | null;
  firstServiceWithin48Hours: number;
  firstServiceWithin48HoursShare: number | null;
}

export interface QueuedResource {
  id: string;
  names: { official: string };
  category: { labelJa: string };
  address: { district: string | null };
  provenance: { verifiedAt: string | null; modifiedAt: string };
}

export interface VerificationQueue {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: QueuedResource }[];
}

export interface DeskFigures {
  districts: { prefecture: string; city: string }[];
  resourceCoverage: Coverage;
  staleResources: VerificationQueue;
  eventStats: ProgrammeFigures;
  transitionStats: TransitionFigures;
}

/** The period and threshold the figures are asked for. */
export interface DeskPeriod {
  /** Start and end (exclusive) of the fiscal year, as DateTime. */
  fiscalYearFrom: string;
  fiscalYearTo: string;
  /** First and last day of the month of planned discharges, as Date. */
  monthFrom: string;
  monthTo: string;
  /** Verifications before this moment are stale. */
  staleBefore: string;
}

const QUEUE_PAGE_SIZE = 20;

const QUEUE_FIELDS = `totalCount pageInfo { hasNextPage endCursor }
  edges { node { id names { official } category { labelJa } address { district } provenance { verifiedAt modifiedAt } } }`;

const DESK_QUERY = `query Desk($fiscalYearFrom: DateTime!, $fiscalYearTo: DateTime!, $monthFrom: Date!, $monthTo: Date!, $staleBefore: DateTime!, $first: Int!) {
  districts { prefecture city }
  resourceCoverage { districts categories { code labelJa } cells { district category { code } count } }
  staleResources(olderThan: $staleBefore, first: $first) { ${QUEUE_FIELDS} }
  eventStats(from: $fiscalYearFrom, to: $fiscalYearTo) { asOf events participants targets { indicator label target actual percentOfTarget } }
  transitionStats(from: $monthFrom, to: $monthTo) {
    dischargeNotices leadTimes { bucket count } fiveDaysOrMoreShare firstServiceWithin48Hours firstServiceWithin48HoursShare
  }
}`;

/** Every figure of the desk in one request: a caller who may not see one of them sees none (the request fails as a whole). */
export function loadDeskFigures(period: DeskPeriod): Promise<DeskFigures> {
  return requestGraphQL<DeskFigures>(DESK_QUERY, { ...period, first: QUEUE_PAGE_SIZE });
}

/** The next page of the verification queue. */
export async function loadMoreQueue(staleBefore: string, after: string): Promise<VerificationQueue> {
  const query = `query Queue($staleBefore: DateTime!, $first: Int!, $after: String) { staleResources(olderThan: $staleBefore, first: $first, after: $after) { ${QUEUE_FIELDS} } }`;
  const data = await requestGraphQL<{ staleResources: VerificationQueue }>(query, { staleBefore, after, first: QUEUE_PAGE_SIZE });
  return data.staleResources;
}

/** Records that a coordinator checked the resource's content now; answers who and when. */
export async function verifyResource(id: string): Promise<{ verifiedAt: string; verifiedBy: string | null }> {
  const mutation = `mutation Verify($id: ID!) { verifyResource(id: $id) { provenance { verifiedAt verifiedBy } } }`;
  const data = await requestGraphQL<{ verifyResource: { provenance: { verifiedAt: string; verifiedBy: string | null } } }>(mutation, { id });
  return data.verifyResource.provenance;
}
