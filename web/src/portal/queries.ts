// The portal's GraphQL documents and the shapes of their answers (only the fields each view shows).
import { requestGraphQL } from "./graphql";

export type Weekday = "MON" | "TUE" | "WED" | "THU" | "FRI" | "SAT" | "SUN";
export type OpenStatus = "OPEN" | "CLOSED" | "UNKNOWN";

export interface Category {
  code: string;
  labelJa: string;
}

export interface ResourceSummary {
  id: string;
  names: { official: string; kana: string | null };
  category: Category;
  address: { district: string | null; street: string | null };
  location: { latitude: number; longitude: number } | null;
  servedDistricts: string[];
  openStatus: OpenStatus;
}

export interface ResourceHit {
  node: ResourceSummary;
  distanceMeters: number | null;
}

export interface ResourcePage {
  edges: ResourceHit[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export interface ResourceDetail extends ResourceSummary {
  description: string | null;
  operatorName: string | null;
  address: { postalCode: string | null; city: string; district: string | null; street: string | null; building: string | null };
  contact: { phone: string | null; fax: string | null; email: string | null; url: string | null };
  openingHours: {
    weekly: { day: Weekday; opens: string; closes: string }[];
    openDays: Weekday[];
    closedOnPublicHolidays: boolean;
    exceptions: { date: string; intervals: { opens: string; closes: string }[]; note: string | null }[];
    closures: { from: string; to: string; reason: string | null }[];
    annualClosures: { from: string; to: string; reason: string | null }[];
    note: string | null;
  } | null;
  capacity: { available: number | null; maximum: number | null; unit: "BEDS" | "PEOPLE" | "CASES"; updatedAt: string | null } | null;
  contactWindows: {
    name: string;
    role: string | null;
    phone: string | null;
    email: string | null;
    preferredChannel: string | null;
    avoidCallingHours: { days: Weekday[]; from: string; to: string; reason: string | null }[];
    note: string | null;
  }[];
}

/** What the form asks for, in the API's ResourceFilter shape. */
export interface ResourceFilter {
  text?: string;
  categories?: string[];
  districts?: string[];
  openAt?: string;
  near?: { latitude: number; longitude: number; radiusMeters: number };
}

const SUMMARY_FIELDS = `
  id
  names { official kana }
  category { code labelJa }
  address { district street }
  location { latitude longitude }
  servedDistricts
  openStatus(at: $at)
`;

/** The choices for the form: every category and every district of the city. */
export function loadChoices(): Promise<{ resourceCategories: Category[]; resourceCoverage: { districts: string[] } }> {
  return requestGraphQL(`query PortalChoices { resourceCategories { code labelJa } resourceCoverage { districts } }`);
}

/** One page of resources matching `filter`, nearest first when it has `near`; open or closed at `at` (the viewer's clock). */
export async function searchResources(filter: ResourceFilter, after: string | null, at: Date, first = 20): Promise<ResourcePage> {
  const data = await requestGraphQL<{ resources: ResourcePage }>(
    `query PortalSearch($filter: ResourceFilter, $first: Int, $after: String, $at: DateTime!) {
      resources(filter: $filter, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { distanceMeters node { ${SUMMARY_FIELDS} } }
      }
    }`,
    { filter, first, after, at: at.toISOString() },
  );
  return data.resources;
}

/** Everything the detail view shows about one resource (open or closed at `at`), or null when it no longer exists. */
export async function loadResource(id: string, at: Date): Promise<ResourceDetail | null> {
  const data = await requestGraphQL<{ resource: ResourceDetail | null }>(
    `query PortalResource($id: ID!, $at: DateTime!) {
      resource(id: $id) {
        ${SUMMARY_FIELDS}
        description
        operatorName
        address { postalCode city district street building }
        contact { phone fax email url }
        openingHours {
          weekly { day opens closes }
          openDays
          closedOnPublicHolidays
          exceptions { date intervals { opens closes } note }
          closures { from to reason }
          annualClosures { from to reason }
          note
        }
        capacity { available maximum unit updatedAt }
        contactWindows { name role phone email preferredChannel avoidCallingHours { days from to reason } note }
      }
    }`,
    { id, at: at.toISOString() },
  );
  return data.resource;
}
