// The face-photo contact directory (顔写真付き連絡先一覧): members grouped by organisation, filtered, paged, and exported as CSV (Excel) and printable HTML.
import { trusted } from "mongoose";
import {
  badUserInput,
  encodeCursor,
  escapeHtml,
  escapeRegExp,
  KEEP_NULLS,
  keysetOf,
  pageOf,
  parsePage,
  resumeAfter,
  searchTerms,
  validated,
} from "@tsunagu/service-kit";
import type { Identity, Page, SortKey } from "@tsunagu/service-kit";
import { maySeeContacts } from "./access";
import { visibleAvoidCallingHours, visiblePhotoUrl } from "./people";
import type { GroupsContext } from "./context";
import { contactDirectoryFilterSchema, professionLabel } from "./domain";
import type { AvoidCallingWindow, ContactDirectoryFilter, Weekday } from "./domain";
import type { AffiliationSnapshot, GroupsModels, MemberDocument, ResourceRef } from "./models";

/** One organisation of the directory with the members who match the filter; `organization` is null for 所属なし. */
export interface DirectoryOrganization {
  organization: ResourceRef | null;
  name: string;
  kana: string | null;
  district: string | null;
  category: string | null;
  categoryLabel: string | null;
  members: MemberDocument[];
}

/** The heading of members without an affiliation, listed after every organisation. */
export const UNAFFILIATED = "所属なし";
/** Sorts after every reading, so that 所属なし comes last. */
const UNAFFILIATED_SORT_KEY = "\uffff";

/** The most people one CSV or HTML export holds; a larger directory must be filtered (by district, say). */
export const MAX_EXPORT_MEMBERS = 5000;

/** Organisations in reading order (あいうえお順), ties by resource id. */
const ORGANIZATION_ORDER: readonly SortKey[] = [
  { path: "sortKey", direction: 1 },
  { path: "_id", direction: 1 },
];

/** The members the filter selects (used by find and aggregate). */
function memberMatch(filter: ContactDirectoryFilter): Record<string, unknown> {
  const conditions: Record<string, unknown>[] = [];
  if (filter.districts?.length) conditions.push({ "affiliation.district": trusted({ $in: filter.districts }) });
  if (filter.categories?.length) conditions.push({ "affiliation.category": trusted({ $in: filter.categories }) });
  if (filter.professions?.length) conditions.push({ profession: trusted({ $in: filter.professions }) });
  for (const term of searchTerms(filter.text ?? "")) conditions.push({ searchKeys: trusted({ $regex: escapeRegExp(term) }) });
  if (filter.modifiedAfter) conditions.push({ updatedAt: trusted({ $gt: filter.modifiedAfter }) });
  return conditions.length > 0 ? { $and: conditions } : {};
}

interface OrganizationRow {
  /** The resource id, or "" for members without an affiliation. */
  _id: string;
  sortKey: string;
  affiliation: AffiliationSnapshot | null;
  members: MemberDocument[];
}

/** Matching members grouped by organisation, in order, optionally after a cursor and limited. */
async function organizationRows(
  models: GroupsModels,
  filter: ContactDirectoryFilter,
  page: { resume?: Record<string, unknown>; limit?: number } = {},
): Promise<OrganizationRow[]> {
  return models.Member.aggregate<OrganizationRow>([
    { $match: memberMatch(filter) },
    { $sort: { "affiliation.sortKey": 1, "affiliation.resourceId": 1, sortKey: 1, _id: 1 } },
    {
      $group: {
        _id: { $ifNull: ["$affiliation.resourceId", ""] },
        sortKey: { $first: { $ifNull: ["$affiliation.sortKey", UNAFFILIATED_SORT_KEY] } },
        affiliation: { $first: { $ifNull: ["$affiliation", null] } },
        members: { $push: "$$ROOT" },
      },
    },
    ...(page.resume ? [{ $match: page.resume }] : []),
    { $sort: { sortKey: 1, _id: 1 } },
    ...(page.limit === undefined ? [] : [{ $limit: page.limit }]),
  ]);
}

function toOrganization({ _id, affiliation, members }: OrganizationRow): DirectoryOrganization {
  if (affiliation === null) {
    return { organization: null, name: UNAFFILIATED, kana: null, district: null, category: null, categoryLabel: null, members };
  }
  return {
    organization: { id: _id },
    name: affiliation.name,
    kana: affiliation.kana ?? null,
    district: affiliation.district ?? null,
    category: affiliation.category,
    categoryLabel: affiliation.categoryLabel ?? null,
    members,
  };
}

/** A page of the directory: organisations (with their matching members) and how many organisations match. */
export async function contactDirectory(
  context: GroupsContext,
  rawFilter: unknown,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Page<DirectoryOrganization> & { totalCount: number }> {
  const filter = validated(contactDirectoryFilterSchema, rawFilter, "filter", KEEP_NULLS);
  const page = parsePage({ first, after });
  const keyset = keysetOf(ORGANIZATION_ORDER, ["contactDirectory", filter]);
  const [rows, counted] = await Promise.all([
    organizationRows(context.models, filter, { resume: resumeAfter(keyset, page.after), limit: page.first + 1 }),
    context.models.Member.aggregate<{ organizations: number }>([
      { $match: memberMatch(filter) },
      { $group: { _id: { $ifNull: ["$affiliation.resourceId", ""] } } },
      { $count: "organizations" },
    ]),
  ]);
  const connection = pageOf(rows, page.first, (row) => encodeCursor(keyset, [row.sortKey, row._id]), page.after !== undefined);
  return {
    edges: connection.edges.map(({ cursor, node }) => ({ cursor, node: toOrganization(node) })),
    pageInfo: connection.pageInfo,
    totalCount: counted[0]?.organizations ?? 0,
  };
}

/** The whole filtered directory for an export, or BAD_USER_INPUT when it holds more than MAX_EXPORT_MEMBERS people. */
async function exportedOrganizations(context: GroupsContext, rawFilter: unknown): Promise<DirectoryOrganization[]> {
  const filter = validated(contactDirectoryFilterSchema, rawFilter, "filter", KEEP_NULLS);
  const people = await context.models.Member.countDocuments(memberMatch(filter));
  if (people > MAX_EXPORT_MEMBERS) {
    throw badUserInput(
      `filter: ${people}人は多すぎます。圏域や職種で絞り込んでください (${people} people; narrow the filter to at most ${MAX_EXPORT_MEMBERS})`,
      "filter",
    );
  }
  return (await organizationRows(context.models, filter)).map(toOrganization);
}

const WEEKDAY_LABELS: Readonly<Record<Weekday, string>> = { MON: "月", TUE: "火", WED: "水", THU: "木", FRI: "金", SAT: "土", SUN: "日" };

/** 「月水 12:00-13:00（昼休み）」, windows joined by 「、」; every day when no days are given. */
export function describeAvoidCallingHours(windows: readonly AvoidCallingWindow[]): string {
  return windows
    .map(({ days, from, to, reason }) => {
      const when = days.length === 0 ? "毎日" : days.map((day) => WEEKDAY_LABELS[day]).join("");
      return `${when} ${from}-${to}${reason ? `（${reason}）` : ""}`;
    })
    .join("、");
}

interface DirectoryLine {
  organization: DirectoryOrganization;
  member: MemberDocument;
}

function linesOf(organizations: readonly DirectoryOrganization[]): DirectoryLine[] {
  return organizations.flatMap((organization) => organization.members.map((member) => ({ organization, member })));
}

/** Byte-order mark: Excel reads a CSV as UTF-8 only when the file starts with it. */
export const UTF8_BOM = "\uFEFF";

/** A CSV field: quoted when needed (RFC 4180), and a leading = + - @ neutralised so a spreadsheet never runs it as a formula. */
export function csvField(value: string | null | undefined): string {
  const text = value ?? "";
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The CSV text of a directory: a BOM, a header row, one row per person, CRLF line ends (what Excel expects).
 * Phone and e-mail columns are present only for callers who may see contact details.
 */
export function directoryCsv(organizations: readonly DirectoryOrganization[], identity: Identity): string {
  const contacts = maySeeContacts(identity);
  const header = ["日常生活圏域", "分類", "事業所名", "事業所名（よみ）", "氏名", "氏名（よみ）", "職種", "役職・担当"];
  const rows = [
    [...header, ...(contacts ? ["電話番号", "メールアドレス"] : []), "連絡を避けてほしい時間", "顔写真URL"],
    ...linesOf(organizations).map(({ organization, member }) => [
      organization.district,
      organization.categoryLabel ?? organization.category,
      organization.name,
      organization.kana,
      member.name,
      member.kana,
      professionLabel(member.profession),
      member.title,
      ...(contacts ? [member.workContact?.phone, member.workContact?.email] : []),
      describeAvoidCallingHours(visibleAvoidCallingHours(member, identity)),
      visiblePhotoUrl(member, identity),
    ]),
  ];
  return UTF8_BOM + rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

const tokyoTime = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", dateStyle: "long", timeStyle: "short" });

/** One person's card: photo (or a placeholder), name and reading, profession and title, contacts, hours not to call. */
function personCard(member: MemberDocument, identity: Identity): string {
  const contacts = maySeeContacts(identity);
  const name = escapeHtml(member.name);
  const photoUrl = visiblePhotoUrl(member, identity);
  const avoidCallingHours = visibleAvoidCallingHours(member, identity);
  const photo = photoUrl
    ? `<img class="photo" src="${escapeHtml(photoUrl)}" alt="${name}さんの顔写真" width="90" height="120">`
    : `<div class="photo none">写真なし</div>`;
  const role = [professionLabel(member.profession), member.title]
    .filter((part): part is string => Boolean(part))
    .map(escapeHtml)
    .join("・");
  const lines = [
    `<p class="name">${name}<span class="kana">${escapeHtml(member.kana)}</span></p>`,
    `<p class="role">${role}</p>`,
    ...(contacts && member.workContact?.phone ? [`<p>電話 ${escapeHtml(member.workContact.phone)}</p>`] : []),
    ...(contacts && member.workContact?.email ? [`<p>メール ${escapeHtml(member.workContact.email)}</p>`] : []),
    ...(avoidCallingHours.length > 0 ? [`<p class="avoid">連絡を避けてほしい時間: ${escapeHtml(describeAvoidCallingHours(avoidCallingHours))}</p>`] : []),
  ];
  return `<li class="person">${photo}<div>${lines.join("")}</div></li>`;
}

const PRINT_STYLE = `
body { font-family: "BIZ UDPGothic", "Hiragino Sans", "Yu Gothic", sans-serif; margin: 1.5em; color: #111; }
h1 { font-size: 1.4em; margin: 0 0 0.2em; }
.generated { font-size: 0.85em; color: #444; margin: 0 0 1em; }
section { break-inside: avoid; page-break-inside: avoid; border-top: 2px solid #333; margin-bottom: 1em; }
h2 { font-size: 1.1em; margin: 0.4em 0; }
h2 small { font-weight: normal; font-size: 0.8em; margin-left: 0.8em; }
ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.8em; padding: 0; margin: 0; }
.person { display: flex; gap: 0.6em; width: 22em; border: 1px solid #999; padding: 0.4em; break-inside: avoid; }
.photo { width: 90px; height: 120px; object-fit: cover; flex: none; }
.photo.none { display: flex; align-items: center; justify-content: center; background: #eee; font-size: 0.8em; }
.person p { margin: 0.1em 0; font-size: 0.9em; }
.name { font-size: 1.1em !important; font-weight: bold; }
.kana { font-weight: normal; font-size: 0.75em; margin-left: 0.5em; }
.avoid { color: #a00; }
@media print { body { margin: 0; } @page { size: A4; margin: 12mm; } }
`;

/** A printable HTML page of a directory (A4, one block per organisation kept on one page, photos beside names). */
export function directoryHtml(organizations: readonly DirectoryOrganization[], identity: Identity, title: string, now: Date): string {
  const sections = organizations.map((organization) => {
    const about = [organization.district, organization.categoryLabel ?? organization.category].filter(Boolean).join(" / ");
    const people = organization.members.map((member) => personCard(member, identity)).join("");
    return `<section><h2>${escapeHtml(organization.name)}<small>${escapeHtml(about)}</small></h2><ul>${people}</ul></section>`;
  });
  const people = organizations.reduce((sum, organization) => sum + organization.members.length, 0);
  return [
    "<!DOCTYPE html>",
    '<html lang="ja"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title><style>${PRINT_STYLE}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="generated">${escapeHtml(tokyoTime.format(now))} 作成 ・ ${organizations.length}事業所 ${people}名</p>`,
    ...(sections.length > 0 ? sections : ["<p>条件に合う担当者はいません。</p>"]),
    "</body></html>",
    "",
  ].join("\n");
}

export async function contactDirectoryCsv(context: GroupsContext, rawFilter: unknown): Promise<string> {
  return directoryCsv(await exportedOrganizations(context, rawFilter), context.identity);
}

export async function contactDirectoryHtml(context: GroupsContext, rawFilter: unknown, title: string | null | undefined): Promise<string> {
  const heading = title?.trim() || "顔写真付き連絡先一覧";
  if (heading.length > 100) throw badUserInput("title: 100文字以内にしてください (at most 100 characters)", "title");
  return directoryHtml(await exportedOrganizations(context, rawFilter), context.identity, heading, new Date());
}
