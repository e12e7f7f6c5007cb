// The portal's resource queries (typed documents of web/src/operations/portal.graphql) and the shapes of their answers the views use.
import { query } from "../client";
import { PortalChoicesDocument, PortalResourceDocument, PortalSearchDocument } from "../generated/graphql";
import type { PortalChoicesQuery, PortalResourceQuery, PortalSearchQuery, ResourceFilter, ResourceSummaryFieldsFragment } from "../generated/graphql";

export type { OpenStatus, ResourceFilter, Weekday } from "../generated/graphql";
export type ResourceSummary = ResourceSummaryFieldsFragment;
export type ResourcePage = PortalSearchQuery["resources"];
export type ResourceDetail = NonNullable<PortalResourceQuery["resource"]>;
export type DistrictOutline = PortalChoicesQuery["districts"][number];

/** The choices for the form (every category and every district of the city) and the districts' outlines for the map. */
export function loadChoices(): Promise<PortalChoicesQuery> {
  return query(PortalChoicesDocument, {});
}

/** One page of resources matching `filter`, nearest first when it has `near`; open or closed at `at` (the viewer's clock). */
export async function searchResources(filter: ResourceFilter, after: string | null, at: Date, first = 20): Promise<ResourcePage> {
  const data = await query(PortalSearchDocument, { filter, first, after, at: at.toISOString() });
  return data.resources;
}

/** Everything the detail view shows about one resource (open or closed at `at`), or null when it no longer exists. */
export async function loadResource(id: string, at: Date): Promise<ResourceDetail | null> {
  const data = await query(PortalResourceDocument, { id, at: at.toISOString() });
  return data.resource;
}
