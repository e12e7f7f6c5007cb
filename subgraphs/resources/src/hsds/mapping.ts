// The resource model as Open Referral HSDS 3.1 records: a resource is a service, offered at its place (location) by its operator (organization), with schedules (holidays included), capacity, service areas and the city's taxonomy; public data only.
import type { ResourceDocument } from "../models";
import type { TaxonomyCategory } from "../taxonomy";
import { japanesePublicHolidays } from "../opening-hours";
import { hsdsId, hsdsIdOfText } from "./ids";

export const HSDS_VERSION = "3.1";
/** The taxonomy every category belongs to: the city's own, kept as data in the resources service. */
export const TAXONOMY_NAME = "tsunagu-resource-categories";

export type HsdsObject = Record<string, unknown>;

const BYDAY: Record<string, string> = { MON: "MO", TUE: "TU", WED: "WE", THU: "TH", FRI: "FR", SAT: "SA", SUN: "SU" };
const UNIT_NAMES: Record<string, string> = { BEDS: "床 (beds)", PEOPLE: "人 (people)", CASES: "件 (cases)" };
const TOKYO_UTC_OFFSET_HOURS = 9;

/** The place (HSDS location) a resource is offered at: the place it shares with other services, or its own. */
export function placeIdOf(resource: ResourceDocument): string {
  const shared = (resource as { placeId?: { toHexString(): string } }).placeId;
  return (shared ?? resource._id).toHexString();
}

/** The operator: a corporation by its 法人番号 (one organization across all its places), else the resource's own. */
export function organizationIdOf(resource: ResourceDocument): string {
  const corporate = resource.identifiers?.corporateNumber;
  return corporate === undefined || corporate === null ? hsdsId("organization", resource._id.toHexString()) : hsdsId("corporation", corporate);
}

/** A web address as an RFC 3986 URI (non-ASCII hosts and paths encoded), or undefined when it is not an http(s) address. */
function absoluteUri(raw: string | null | undefined): string | undefined {
  if (raw === undefined || raw === null || !URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  // WHATWG keeps a few characters RFC 3986 does not allow (| ^ ` { } \\ and the like); percent-encode them too.
  return url.href.replace(/[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/g, (character) => encodeURIComponent(character));
}

const compact = (record: HsdsObject): HsdsObject => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null));

export function taxonomyRecord(): HsdsObject {
  return {
    id: hsdsIdOfText("taxonomy", TAXONOMY_NAME),
    name: "つなぐ 地域資源分類 / Tsunagu regional resource categories",
    description: "市が管理する地域資源の分類（医療・介護・生活支援・通いの場など） / The city's categories of regional resources",
    version: "1",
  };
}

export function taxonomyTermRecord(category: TaxonomyCategory): HsdsObject {
  return compact({
    id: hsdsIdOfText("taxonomyTerm", category.code),
    code: category.code,
    name: category.ja,
    description: `${category.ja} / ${category.en}`,
    parent_id: category.parent === undefined || category.parent === null ? undefined : hsdsIdOfText("taxonomyTerm", category.parent),
    taxonomy: TAXONOMY_NAME,
    language: "ja",
    taxonomy_id: hsdsIdOfText("taxonomy", TAXONOMY_NAME),
  });
}

function addressLine(resource: ResourceDocument): string {
  return [resource.address.street, resource.address.building].filter((part) => part !== undefined && part !== null && part !== "").join(" ");
}

export function locationRecord(resource: ResourceDocument): HsdsObject {
  const placeId = placeIdOf(resource);
  const [longitude, latitude] = resource.location?.coordinates ?? [];
  const identifiers = resource.identifiers ?? {};
  const external = identifiers.medicalInstitutionCode ?? identifiers.careOfficeNumber;
  return compact({
    id: hsdsId("location", placeId),
    location_type: "physical",
    organization_id: organizationIdOf(resource),
    name: resource.names.official,
    alternate_name: resource.names.kana ?? undefined,
    latitude,
    longitude,
    external_identifier: external ?? undefined,
    external_identifier_type:
      identifiers.medicalInstitutionCode != null ? "医療機関コード" : identifiers.careOfficeNumber != null ? "介護保険事業所番号" : undefined,
    addresses: [
      {
        id: hsdsId("address", placeId),
        location_id: hsdsId("location", placeId),
        address_1: addressLine(resource) || `${resource.address.city}`,
        city: resource.address.city,
        region: resource.address.district ?? undefined,
        state_province: resource.address.prefecture,
        postal_code: resource.address.postalCode ?? "",
        country: "JP",
        address_type: "physical",
      },
    ].map(compact),
  });
}

export function organizationRecord(resource: ResourceDocument): HsdsObject {
  const corporate = resource.identifiers?.corporateNumber ?? undefined;
  const name = resource.operatorName ?? resource.names.official;
  const id = organizationIdOf(resource);
  return compact({
    id,
    name,
    description: corporate === undefined ? `${name}（${resource.address.city}）` : `${name}（法人番号 ${corporate}）`,
    organization_identifiers:
      corporate === undefined
        ? []
        : [
            {
              id: hsdsId("identifier", resource._id.toHexString()),
              organization_id: id,
              identifier_scheme: "JP-JCN",
              identifier_type: "法人番号 (Japan Corporate Number)",
              identifier: corporate,
            },
          ],
  });
}

/** Weekly hours, dated exceptions and closures, annual closures and the coming year's public holidays when it closes on them. */
export function scheduleRecords(resource: ResourceDocument, serviceId: string, today: string): HsdsObject[] {
  const hours = resource.openingHours;
  if (hours === undefined || hours === null) return [];
  const schedules: HsdsObject[] = [];
  const next = (record: HsdsObject) =>
    schedules.push(
      compact({ id: hsdsId("schedule", resource._id.toHexString(), schedules.length), service_id: serviceId, timezone: TOKYO_UTC_OFFSET_HOURS, ...record }),
    );
  for (const interval of hours.weekly ?? []) {
    next({
      freq: "WEEKLY",
      wkst: "MO",
      byday: BYDAY[interval.day],
      opens_at: interval.opens,
      closes_at: interval.closes,
      description: "通常の営業時間 / Regular hours",
    });
  }
  if ((hours.weekly ?? []).length === 0 && (hours.openDays ?? []).length > 0) {
    next({
      freq: "WEEKLY",
      wkst: "MO",
      byday: hours.openDays.map((day) => BYDAY[day]).join(","),
      description: "営業日（時間は未確認） / Days open, hours unknown",
    });
  }
  for (const exception of hours.exceptions ?? []) {
    const intervals = exception.intervals ?? [];
    if (intervals.length === 0)
      next({ valid_from: exception.date, valid_to: exception.date, description: `休業 / Closed${exception.note ? `: ${exception.note}` : ""}` });
    for (const interval of intervals) {
      next({
        valid_from: exception.date,
        valid_to: exception.date,
        opens_at: interval.opens,
        closes_at: interval.closes,
        description: `特別営業 / Special hours${exception.note ? `: ${exception.note}` : ""}`,
      });
    }
  }
  for (const closure of hours.closures ?? []) {
    next({ valid_from: closure.from, valid_to: closure.to, description: `休業 / Closed${closure.reason ? `: ${closure.reason}` : ""}` });
  }
  for (const closure of hours.annualClosures ?? []) {
    next({
      freq: "MONTHLY",
      description: `毎年 ${closure.from}〜${closure.to} 休業 / Closed every year ${closure.from} to ${closure.to}${closure.reason ? ` (${closure.reason})` : ""}`,
    });
  }
  if (hours.closedOnPublicHolidays) {
    const year = Number(today.slice(0, 4));
    const holidays = [...japanesePublicHolidays(year), ...japanesePublicHolidays(year + 1)]
      .filter((date) => date >= today)
      .sort()
      .slice(0, 20);
    for (const date of holidays) next({ valid_from: date, valid_to: date, description: "祝日休業 / Closed on the public holiday" });
  }
  if (hours.note) next({ description: hours.note, notes: hours.note });
  return schedules;
}

function phoneRecords(resource: ResourceDocument, serviceId: string): HsdsObject[] {
  const phones: HsdsObject[] = [];
  const contact = resource.contact ?? {};
  if (contact.phone) phones.push({ id: hsdsId("phone", resource._id.toHexString(), 0), service_id: serviceId, number: contact.phone, type: "voice" });
  if (contact.fax) phones.push({ id: hsdsId("phone", resource._id.toHexString(), 1), service_id: serviceId, number: contact.fax, type: "fax" });
  return phones;
}

/** 空き状況 as HSDS 3.1 service_capacity, with its unit and as-of time; only when the vacancy is known. */
function capacityRecords(resource: ResourceDocument, serviceId: string): HsdsObject[] {
  const capacity = resource.capacity;
  if (capacity === undefined || capacity === null || capacity.available == null || capacity.updatedAt == null) return [];
  return [
    compact({
      id: hsdsId("capacity", resource._id.toHexString()),
      service_id: serviceId,
      unit: { id: hsdsIdOfText("taxonomyTerm", `unit:${capacity.unit}`), name: UNIT_NAMES[capacity.unit] ?? capacity.unit, scheme: "tsunagu" },
      available: capacity.available,
      maximum: capacity.maximum ?? undefined,
      description: "空き状況 / Vacancy",
      updated: new Date(capacity.updatedAt).toISOString(),
    }),
  ];
}

/** The service's category as an attribute pointing at the taxonomy term. */
function categoryAttribute(resource: ResourceDocument, serviceId: string, category: TaxonomyCategory | undefined): HsdsObject[] {
  if (category === undefined) return [];
  const term = taxonomyTermRecord(category);
  return [
    {
      id: hsdsId("attribute", resource._id.toHexString()),
      link_id: serviceId,
      link_type: "service",
      link_entity: "service",
      taxonomy_term_id: term.id,
      taxonomy_term: term,
      label: category.ja,
    },
  ];
}

/** The service on its own (HSDS's one-to-one fields), as list endpoints return it. */
export function serviceSummary(resource: ResourceDocument, category: TaxonomyCategory | undefined): HsdsObject {
  const serviceId = hsdsId("service", resource._id.toHexString());
  const status = resource.archivedAt != null ? "defunct" : resource.suspended ? "temporarily closed" : "active";
  const careLevels = resource.eligibility?.careLevels ?? [];
  return compact({
    id: serviceId,
    organization_id: organizationIdOf(resource),
    name: resource.names.official,
    alternate_name: category === undefined ? (resource.names.kana ?? undefined) : `${category.ja}${resource.names.kana ? `（${resource.names.kana}）` : ""}`,
    description: resource.description ?? (category === undefined ? undefined : `${category.ja} / ${category.en}`),
    url: absoluteUri(resource.contact?.url),
    email: resource.contact?.email ?? undefined,
    status,
    fees_description: resource.fees ?? undefined,
    eligibility_description:
      careLevels.length === 0 && !resource.eligibility?.note ? undefined : [careLevels.join("・"), resource.eligibility?.note].filter(Boolean).join(" "),
    assured_date: resource.provenance?.verifiedAt == null ? undefined : new Date(resource.provenance.verifiedAt).toISOString().slice(0, 10),
    last_modified: new Date(resource.provenance?.modifiedAt ?? resource.updatedAt).toISOString(),
  });
}

/** The fully nested service: organization, location (through service_at_location), schedules, phones, areas, capacity, taxonomy. */
export function serviceRecord(resource: ResourceDocument, category: TaxonomyCategory | undefined, today: string): HsdsObject {
  const summary = serviceSummary(resource, category);
  const serviceId = summary.id as string;
  return {
    ...summary,
    phones: phoneRecords(resource, serviceId),
    schedules: scheduleRecords(resource, serviceId, today),
    service_areas: (resource.servedDistricts ?? []).map((district, index) => ({
      id: hsdsId("serviceArea", resource._id.toHexString(), index),
      service_id: serviceId,
      name: district,
      description: `日常生活圏域 ${district} / Daily-life area ${district}`,
    })),
    service_at_locations: [serviceAtLocationRecord(resource, false)],
    languages: (resource.languages ?? []).map((code, index) => ({ id: hsdsId("language", resource._id.toHexString(), index), service_id: serviceId, code })),
    organization: organizationRecord(resource),
    capacities: capacityRecords(resource, serviceId),
    attributes: categoryAttribute(resource, serviceId, category),
    contacts: [],
  };
}

/** A service offered at a place; `withService` nests the service summary (the /service_at_locations answer). */
export function serviceAtLocationRecord(resource: ResourceDocument, withService: boolean, category?: TaxonomyCategory): HsdsObject {
  const serviceId = hsdsId("service", resource._id.toHexString());
  return {
    id: hsdsId("serviceAtLocation", resource._id.toHexString()),
    service_id: serviceId,
    location_id: hsdsId("location", placeIdOf(resource)),
    location: locationRecord(resource),
    ...(withService ? { service: serviceSummary(resource, category) } : {}),
  };
}
