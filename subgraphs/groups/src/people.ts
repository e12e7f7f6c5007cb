// Groups and members: look-ups, lists, who sees contact details, registering and updating members and groups, and group membership.
import { Types, trusted } from "mongoose";
import {
  badUserInput,
  buildSearchKeys,
  creationStamp,
  decodeCursor,
  encodeCursor,
  escapeRegExp,
  findKeysetPage,
  insertOnce,
  KEEP_NULLS,
  keysetOf,
  notFound,
  pageOf,
  parsePage,
  searchTerms,
  serviceIdentity,
  toSearchKey,
  validated,
} from "@tsunagu/service-kit";
import type { Identity, Page, SortKey } from "@tsunagu/service-kit";
import { assertStaff, isOfficer, isStaff, maySeeContacts, refusal, roleIn } from "./access";
import type { GroupsContext } from "./context";
import {
  GROUP_ROLES,
  PROFESSION_NAMES,
  createGroupSchema,
  createMemberSchema,
  groupFilterSchema,
  parseId,
  requiredNotNull,
  updateMemberSchema,
} from "./domain";
import type { AffiliationInput, CreateMemberInput, GroupRole, UpdateMemberInput } from "./domain";
import { objectId } from "./models";
import type { AffiliationSnapshot, ContactWindowRecord, GroupDocument, GroupMemberRecord, MemberDocument, MemberView } from "./models";

/** Loads a member by a raw `ID` argument (BAD_USER_INPUT when malformed); null when there is none. */
export function findMember(context: GroupsContext, rawId: string, field = "id"): Promise<MemberView | null> {
  return context.loaders.member.load(parseId(rawId, field));
}

/** Loads a group by a raw `ID` argument (BAD_USER_INPUT when malformed); null when there is none. */
export function findGroup(context: GroupsContext, rawId: string, field = "id"): Promise<GroupDocument | null> {
  return context.loaders.group.load(parseId(rawId, field));
}

/** Like findGroup, but NOT_FOUND when there is none. */
export async function requireGroup(context: GroupsContext, rawId: string, field: string): Promise<GroupDocument> {
  const group = await findGroup(context, rawId, field);
  if (group === null) throw notFound("Group", rawId);
  return group;
}

/** Like findMember, but NOT_FOUND when there is none. */
export async function requireMember(context: GroupsContext, rawId: string, field: string): Promise<MemberView> {
  const member = await findMember(context, rawId, field);
  if (member === null) throw notFound("Member", rawId);
  return member;
}

/** An entity representation from another subgraph: null unless its id could be ours. */
export function referencedId(id: unknown): string | null {
  return typeof id === "string" && /^[0-9a-f]{24}$/i.test(id) ? id.toLowerCase() : null;
}

const GROUP_ORDER: readonly SortKey[] = [
  { path: "sortKey", direction: 1 },
  { path: "_id", direction: 1 },
];

/** Groups in kana order, filtered by kind and text. */
export async function listGroups(
  context: GroupsContext,
  rawFilter: unknown,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Page<GroupDocument> & { totalCount: number }> {
  const filter = validated(groupFilterSchema, rawFilter, "filter", KEEP_NULLS);
  const conditions: Record<string, unknown>[] = [];
  if (filter.kinds && filter.kinds.length > 0) conditions.push({ kind: trusted({ $in: filter.kinds }) });
  for (const term of searchTerms(filter.text ?? "")) conditions.push({ searchKeys: trusted({ $regex: escapeRegExp(term) }) });
  if (filter.modifiedAfter) conditions.push({ updatedAt: trusted({ $gt: filter.modifiedAfter }) });
  const matching = conditions.length > 0 ? { $and: conditions } : {};
  const [page, totalCount] = await Promise.all([
    findKeysetPage(
      keysetOf(GROUP_ORDER, ["groups", filter]),
      parsePage({ first, after }),
      matching,
      (query, sort, limit) => context.models.Group.find(query).sort(sort).limit(limit).lean<GroupDocument[]>(),
      (group) => [group.sortKey, group._id],
    ),
    context.models.Group.countDocuments(matching),
  ]);
  return { ...page, totalCount };
}

/** Members a page holds when `first` is not given. */
const MEMBERS_PAGE_SIZE = 50;
/** A group's members are listed officers first, then by joining (an order computed in the service): the cursor holds the member's id. */
const MEMBER_ORDER: readonly SortKey[] = [{ path: "members.memberId", direction: 1 }];

const ROLE_RANK: Readonly<Record<GroupRole, number>> = Object.fromEntries(GROUP_ROLES.map((role, rank) => [role, rank])) as Record<GroupRole, number>;

/** A group's members, officers first (代表, 世話人, 事務局), then by when they joined. */
export async function groupMembers(
  context: GroupsContext,
  group: GroupDocument,
  args: { first?: number | null; after?: string | null; roles?: readonly GroupRole[] | null },
) {
  const { first: size, after } = parsePage(args, MEMBERS_PAGE_SIZE);
  const roles = args.roles && args.roles.length > 0 ? new Set(args.roles) : undefined;
  const keyset = keysetOf(MEMBER_ORDER, ["groupMembers", group._id, [...(roles ?? [])].sort()]);
  const ordered = group.members
    .filter((member) => roles === undefined || roles.has(member.role))
    .sort((a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || a.joinedAt.getTime() - b.joinedAt.getTime());
  const cursorOf = (member: GroupMemberRecord) => encodeCursor(keyset, [member.memberId]);
  let start = 0;
  if (after !== undefined) {
    const [memberId] = decodeCursor(keyset, after);
    start = ordered.findIndex((member) => memberId instanceof Types.ObjectId && member.memberId.equals(memberId)) + 1;
    if (start === 0)
      throw badUserInput("after: このメンバーはもう一覧にいません。最初から読み直してください (the member of this cursor has left; start again)", "after");
  }
  const window = ordered.slice(start, start + size + 1);
  const members = await context.loaders.member.loadMany(window.map((member) => member.memberId.toHexString()));
  const rows = window.flatMap((record, index) => {
    const node = members[index];
    if (node instanceof Error) throw node;
    return node ? [{ record, node }] : [];
  });
  const connection = pageOf(rows, size, ({ record }) => cursorOf(record), after !== undefined);
  return {
    edges: connection.edges.map(({ cursor, node: { record, node } }) => ({ cursor, role: record.role, joinedAt: record.joinedAt, node })),
    pageInfo: connection.pageInfo,
    totalCount: ordered.length,
  };
}

/** The groups a member belongs to, with their role in each. */
export async function membershipsOf(context: GroupsContext, member: MemberView) {
  const memberId = member._id.toHexString();
  const groups = await context.loaders.groupsOfMember.load(memberId);
  return groups.flatMap((group) =>
    group.members.filter((record) => record.memberId.toHexString() === memberId).map((record) => ({ group, role: record.role, joinedAt: record.joinedAt })),
  );
}

/** A group's contact window as the caller may see it: phone and e-mail only for professionals and staff. */
export function visibleContactWindow(window: ContactWindowRecord | null | undefined, identity: Identity): ContactWindowRecord | null {
  if (!window) return null;
  return maySeeContacts(identity) ? window : { ...window, phone: null, email: null };
}

/** A member's face photo: for those who see contacts, and for everyone only when the member chose to publish it. */
export function visiblePhotoUrl(member: MemberView, identity: Identity): string | null {
  return maySeeContacts(identity) || member.photoPublic === true ? (member.photoUrl ?? null) : null;
}

/** When not to call a member: only for those who may call (see contacts); the public gets none. */
export function visibleAvoidCallingHours(member: MemberView, identity: Identity): MemberView["avoidCallingHours"] {
  return maySeeContacts(identity) ? member.avoidCallingHours : [];
}

/** A member's work contact, or null when the caller may not see contact details. */
export function visibleWorkContact(member: MemberView, identity: Identity) {
  const contact = member.workContact;
  return maySeeContacts(identity) && contact ? { phone: contact.phone ?? null, email: contact.email ?? null } : null;
}

const AFFILIATED_RESOURCE = `query ($id: ID!) { resource(id: $id) { names { official kana } address { district } category { code labelJa } } }`;

interface AffiliatedResource {
  names: { official: string; kana: string | null };
  address: { district: string | null };
  category: { code: string; labelJa: string };
}

/**
 * Refuses an affiliation whose text does not match the resource it names, asked of the resources service (the owner)
 * through its API: the resource must exist, and each name, reading, district and category given must be the
 * resource's (compared as search keys, so width and kana differences do not matter). Run alone, it is not checked.
 */
async function requireMatchingAffiliation(context: GroupsContext, affiliation: AffiliationInput, field: string): Promise<void> {
  const { peers } = context;
  if (peers === undefined || !peers.has("resources")) return;
  const answer = await peers.query<{ resource: AffiliatedResource | null }>(
    "resources",
    AFFILIATED_RESOURCE,
    { id: affiliation.resourceId },
    serviceIdentity("groups"),
  );
  const resource = answer.data?.resource ?? null;
  if (resource === null) throw badUserInput(`${field}.resourceId: この地域資源は登録されていません (no resource has this id)`, `${field}.resourceId`);
  const same = (given: string | null | undefined, actual: string | null) => given == null || (actual !== null && toSearchKey(given) === toSearchKey(actual));
  const checks: Array<[keyof AffiliationInput, string | null | undefined, string | null]> = [
    ["name", affiliation.name, resource.names.official],
    ["kana", affiliation.kana, resource.names.kana],
    ["district", affiliation.district, resource.address.district],
    ["category", affiliation.category, resource.category.code],
    ["categoryLabel", affiliation.categoryLabel, resource.category.labelJa],
  ];
  const wrong = checks.find(([, given, actual]) => !same(given, actual));
  if (wrong !== undefined) {
    const [name, , actual] = wrong;
    throw badUserInput(
      `${field}.${name}: 資源 ${affiliation.resourceId} の登録内容「${actual ?? "（なし）"}」と一致しません (does not match the resource it names)`,
      `${field}.${name}`,
    );
  }
}

function snapshotOf(affiliation: AffiliationInput): AffiliationSnapshot {
  return { ...affiliation, sortKey: toSearchKey(affiliation.kana ?? affiliation.name) };
}

/** What a member is found by: name and reading, title, profession, and the organisation's name, reading and category. */
function memberIndexFields(member: Pick<MemberDocument, "name" | "kana" | "title" | "profession" | "affiliation">) {
  const { affiliation } = member;
  return {
    sortKey: toSearchKey(member.kana),
    searchKeys: buildSearchKeys([
      member.name,
      member.kana,
      member.title,
      ...PROFESSION_NAMES[member.profession],
      affiliation?.name,
      affiliation?.kana,
      affiliation?.categoryLabel,
    ]),
  };
}

/** A member record from validated input (also used by the demo seed). */
export function memberRecord(input: CreateMemberInput) {
  const fields = {
    name: input.name,
    kana: input.kana,
    profession: input.profession,
    title: input.title ?? null,
    affiliation: input.affiliation ? snapshotOf(input.affiliation) : null,
    photoUrl: input.photoUrl ?? null,
    photoPublic: input.photoPublic ?? false,
    workContact: input.workContact ?? null,
    avoidCallingHours: input.avoidCallingHours ?? [],
  };
  return { ...fields, ...memberIndexFields(fields) };
}

export async function createMember(context: GroupsContext, rawInput: unknown, idempotencyKey: string): Promise<MemberDocument> {
  assertStaff(context.identity, "メンバーの登録");
  const input = validated(createMemberSchema, rawInput, "input", KEEP_NULLS);
  if (input.affiliation) await requireMatchingAffiliation(context, input.affiliation, "input.affiliation");
  const creation = creationStamp(context.identity, idempotencyKey, "idempotencyKey", input, new Date());
  const { document } = await insertOnce(context.models.Member, creation, memberRecord(input));
  return document;
}

/** Updates a member (the member themselves or staff); the affiliation's snapshot is retaken when it is given. */
export async function updateMember(context: GroupsContext, rawId: string, rawInput: Record<string, unknown>): Promise<MemberDocument> {
  const id = parseId(rawId, "id");
  if (!isStaff(context.identity) && context.identity.memberId !== id) {
    throw refusal(context.identity, "本人または調整役・管理者のみ更新できます (only the member themselves or staff may update a member)");
  }
  requiredNotNull(rawInput, ["name", "kana", "profession"], "input");
  const input: UpdateMemberInput = validated(updateMemberSchema, rawInput, "input", KEEP_NULLS);
  const current = await requireMember(context, id, "id");
  const { affiliation, ...rest } = input;
  if (affiliation) await requireMatchingAffiliation(context, affiliation, "input.affiliation");
  const merged = {
    ...current,
    ...rest,
    ...(affiliation === undefined ? {} : { affiliation: affiliation === null ? null : snapshotOf(affiliation) }),
  };
  const changes = {
    ...rest,
    ...(rest.avoidCallingHours === null ? { avoidCallingHours: [] } : {}),
    affiliation: merged.affiliation ?? null,
    ...memberIndexFields(merged),
  };
  const updated = await context.models.Member.findByIdAndUpdate(
    current._id,
    { $set: changes },
    { returnDocument: "after", runValidators: true },
  ).lean<MemberDocument>();
  if (updated === null) throw notFound("Member", id);
  return updated;
}

export async function createGroup(context: GroupsContext, rawInput: unknown, idempotencyKey: string): Promise<GroupDocument> {
  assertStaff(context.identity, "団体の登録");
  const input = validated(createGroupSchema, rawInput, "input", KEEP_NULLS);
  const creation = creationStamp(context.identity, idempotencyKey, "idempotencyKey", input, new Date());
  if (input.parentId) await requireGroup(context, input.parentId, "input.parentId");
  if (input.contactWindow?.memberId) await requireMember(context, input.contactWindow.memberId, "input.contactWindow.memberId");
  const { document } = await insertOnce(context.models.Group, creation, {
    kind: input.kind,
    name: input.name,
    kana: input.kana ?? null,
    description: input.description ?? null,
    parentId: input.parentId ? objectId(input.parentId) : null,
    contactWindow: input.contactWindow
      ? { ...input.contactWindow, memberId: input.contactWindow.memberId ? objectId(input.contactWindow.memberId) : null }
      : null,
    members: [],
    board: { _id: new Types.ObjectId(), name: `${input.name} 掲示板`, visibility: input.boardVisibility },
    ...groupIndexFields(input),
  });
  return document;
}

/** A group's order and search keys from its name and reading (also used by the demo seed). */
export function groupIndexFields(group: { name: string; kana?: string | null }) {
  return { sortKey: toSearchKey(group.kana ?? group.name), searchKeys: buildSearchKeys([group.name, group.kana]) };
}

/** Adds a member to a group, changes their role, or (role null) removes them; staff or the group's officers. */
export async function setGroupMembership(
  context: GroupsContext,
  rawGroupId: string,
  rawMemberId: string,
  role: GroupRole | null | undefined,
): Promise<GroupDocument> {
  const group = await requireGroup(context, rawGroupId, "groupId");
  if (!isStaff(context.identity) && !isOfficer(roleIn(group, context.identity))) {
    throw refusal(context.identity, `「${group.name}」のメンバー管理は代表・世話人・事務局と調整役のみです (officers and staff only)`);
  }
  const member = await requireMember(context, rawMemberId, "memberId");
  const { Group } = context.models;
  if (!role) {
    await Group.updateOne({ _id: group._id }, { $pull: { members: { memberId: member._id } } });
  } else {
    const changed = await Group.updateOne({ _id: group._id, "members.memberId": member._id }, { $set: { "members.$.role": role } });
    if (changed.matchedCount === 0) {
      await Group.updateOne(
        { _id: group._id, "members.memberId": trusted({ $ne: member._id }) },
        { $push: { members: { memberId: member._id, role, joinedAt: new Date() } } },
      );
    }
  }
  const updated = await Group.findById(group._id).lean<GroupDocument>();
  if (updated === null) throw notFound("Group", rawGroupId);
  return updated;
}
