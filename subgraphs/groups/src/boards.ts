// Group boards: posts, comments and read acknowledgements (確認しました), who may read and write them, and the domain events published once a write is committed.
import { creationStamp, domainEvent, findKeysetPage, insertOnce, KEEP_NULLS, keysetOf, notFound, parsePage, validated } from "@tsunagu/service-kit";
import type { DomainEvent, SortKey } from "@tsunagu/service-kit";
import { assertMayReadBoard, assertMemberOf, boardReadRefused, boardWriteRefused, isOfficer, isStaff, refusal, roleIn } from "./access";
import type { GroupsContext } from "./context";
import { addCommentSchema, createPostSchema, parseId, requiredNotNull, updatePostSchema } from "./domain";
import { objectId } from "./models";
import type { AcknowledgementDocument, BoardRef, CommentDocument, GroupDocument, MemberView, PostDocument } from "./models";

export function boardRefOf(group: GroupDocument): BoardRef {
  return { board: group.board, group };
}

/** The board with a raw `ID` (BAD_USER_INPUT when malformed), or null; no access check (writers check membership). */
async function lookUpBoard(context: GroupsContext, rawId: string, field: string): Promise<BoardRef | null> {
  const [group] = await context.loaders.groupByBoard.load(parseId(rawId, field));
  return group ? boardRefOf(group) : null;
}

/**
 * What a read of a missing board, post or comment answers: null for staff, who may read every board anyway; for anyone
 * else the refusal of a hidden board, so that a refusal never tells an outsider whether the id exists.
 */
function missingItem(context: GroupsContext): null {
  if (isStaff(context.identity)) return null;
  throw boardReadRefused(context.identity);
}

/**
 * A board opened by id, for a caller who may read it (refused otherwise, and when there is none, except for staff who
 * get null). The gateway asks this before it accepts a subscription to the board's posts.
 */
export async function findBoard(context: GroupsContext, rawId: string): Promise<BoardRef | null> {
  const ref = await lookUpBoard(context, rawId, "id");
  if (ref === null) return missingItem(context);
  assertMayReadBoard(ref.group, context.identity);
  return ref;
}

async function groupOf(context: GroupsContext, item: { groupId: PostDocument["groupId"] }): Promise<GroupDocument> {
  const group = await context.loaders.group.load(item.groupId.toHexString());
  if (group === null) throw new Error(`group ${item.groupId.toHexString()} of a board item is missing`);
  return group;
}

/** The board a post or comment is on. */
export async function boardOfItem(context: GroupsContext, item: { groupId: PostDocument["groupId"] }): Promise<BoardRef> {
  return boardRefOf(await groupOf(context, item));
}

const POST_ORDER: readonly SortKey[] = [
  { path: "pinned", direction: -1 },
  { path: "createdAt", direction: -1 },
  { path: "_id", direction: -1 },
];

/** A board's posts, pinned first and newest first; FORBIDDEN for a private board the caller may not read. */
export async function boardPosts(
  context: GroupsContext,
  { board, group }: BoardRef,
  args: { first?: number | null; after?: string | null; tag?: string | null; urgentOnly?: boolean | null },
) {
  assertMayReadBoard(group, context.identity);
  const conditions: Record<string, unknown>[] = [{ boardId: board._id }];
  if (args.tag) conditions.push({ tags: args.tag });
  if (args.urgentOnly) conditions.push({ urgent: true });
  return findKeysetPage(
    keysetOf(POST_ORDER, ["posts", board._id, args.tag ?? null, args.urgentOnly ?? false]),
    parsePage(args),
    { $and: conditions },
    (filter, sort, limit) => context.models.Post.find(filter).sort(sort).limit(limit).lean<PostDocument[]>(),
    (post) => [post.pinned, post.createdAt, post._id],
  );
}

/** A post by id for a caller who may read its board (refused otherwise, and when there is none, except for staff who get null). */
export async function findPost(context: GroupsContext, rawId: string, field = "id"): Promise<PostDocument | null> {
  const post = await context.loaders.post.load(parseId(rawId, field));
  if (post === null) return missingItem(context);
  assertMayReadBoard(await groupOf(context, post), context.identity);
  return post;
}

async function requirePost(context: GroupsContext, rawId: string, field: string): Promise<PostDocument> {
  const post = await findPost(context, rawId, field);
  if (post === null) throw notFound("Post", rawId);
  return post;
}

/** A comment by id for a caller who may read its board (refused otherwise, and when there is none, except for staff who get null). */
export async function findComment(context: GroupsContext, rawId: string): Promise<CommentDocument | null> {
  const comment = await context.loaders.comment.load(parseId(rawId, "id"));
  if (comment === null) return missingItem(context);
  assertMayReadBoard(await groupOf(context, comment), context.identity);
  return comment;
}

/** The post a comment is on (the caller could read the comment, so may read the post). */
export async function postOfComment(context: GroupsContext, comment: CommentDocument): Promise<PostDocument> {
  const post = await context.loaders.post.load(comment.postId.toHexString());
  if (post === null) throw new Error(`post ${comment.postId.toHexString()} of comment ${comment._id.toHexString()} is missing`);
  return post;
}

/** Comments a page holds when `first` is not given. */
const COMMENTS_PAGE_SIZE = 50;

const COMMENT_ORDER: readonly SortKey[] = [
  { path: "createdAt", direction: 1 },
  { path: "_id", direction: 1 },
];

/** A post's comments, oldest first. */
export async function postComments(context: GroupsContext, post: PostDocument, args: { first?: number | null; after?: string | null }) {
  return findKeysetPage(
    keysetOf(COMMENT_ORDER, ["comments", post._id]),
    parsePage(args, COMMENTS_PAGE_SIZE),
    { postId: post._id },
    (filter, sort, limit) => context.models.Comment.find(filter).sort(sort).limit(limit).lean<CommentDocument[]>(),
    (comment) => [comment.createdAt, comment._id],
  );
}

/** The author of a post or comment. */
export async function authorOf(context: GroupsContext, item: { authorId: PostDocument["authorId"] }): Promise<MemberView> {
  const author = await context.loaders.member.load(item.authorId.toHexString());
  if (author === null) throw new Error(`author ${item.authorId.toHexString()} is missing`);
  return author;
}

export async function acknowledgedByMe(context: GroupsContext, post: PostDocument): Promise<boolean> {
  const { memberId } = context.identity;
  if (memberId === undefined) return false;
  const acknowledgements = await context.loaders.acknowledgements.load(post._id.toHexString());
  return acknowledgements.some((acknowledgement) => acknowledgement.memberId.toHexString() === memberId);
}

/** Read acknowledgements are for the group's members and staff; anyone else is refused. */
async function acknowledgementsFor(context: GroupsContext, post: PostDocument) {
  const group = await groupOf(context, post);
  if (!isStaff(context.identity) && roleIn(group, context.identity) === undefined) {
    throw refusal(context.identity, `確認状況は「${group.name}」のメンバーのみ見られます (read status is for members of ${group.name})`);
  }
  return { group, acknowledgements: await context.loaders.acknowledgements.load(post._id.toHexString()) };
}

/** Who has acknowledged the post, earliest first. */
export async function readBy(context: GroupsContext, post: PostDocument): Promise<AcknowledgementDocument[]> {
  const { acknowledgements } = await acknowledgementsFor(context, post);
  return [...acknowledgements].sort((a, b) => a.acknowledgedAt.getTime() - b.acknowledgedAt.getTime());
}

/** The group's current members who have not acknowledged the post (its author excepted), in the group's member order. */
export async function notReadBy(context: GroupsContext, post: PostDocument): Promise<MemberView[]> {
  const { group, acknowledgements } = await acknowledgementsFor(context, post);
  const read = new Set(acknowledgements.map((acknowledgement) => acknowledgement.memberId.toHexString()));
  const pending = group.members.map((member) => member.memberId.toHexString()).filter((id) => !read.has(id) && id !== post.authorId.toHexString());
  const members = await context.loaders.member.loadMany(pending);
  return members
    .map((member) => {
      if (member instanceof Error) throw member;
      return member;
    })
    .filter((member): member is MemberView => member !== null);
}

/** Publishes after the write it reports has been committed (the caller awaits the write first). */
function publish(context: GroupsContext, event: DomainEvent): Promise<void> {
  if (context.logger.isLevelEnabled("debug")) context.logger.debug({ type: event.type, topic: event.topic }, "publishing domain event");
  return context.pubsub.publish(event);
}

export async function createPost(context: GroupsContext, rawInput: unknown, idempotencyKey: string): Promise<PostDocument> {
  const input = validated(createPostSchema, rawInput, "input", KEEP_NULLS);
  const ref = await lookUpBoard(context, input.boardId, "input.boardId");
  if (ref === null) throw boardWriteRefused(context.identity);
  const { role, memberId } = assertMemberOf(ref.group, context.identity);
  if (input.pinned && !isOfficer(role)) {
    throw refusal(context.identity, "ピン留めは代表・世話人・事務局のみです (only the group's officers may pin posts)");
  }
  const creation = creationStamp(context.identity, idempotencyKey, "idempotencyKey", input, new Date());
  const { boardId, ...content } = input;
  const { document, created } = await insertOnce(context.models.Post, creation, {
    ...content,
    boardId: ref.board._id,
    groupId: ref.group._id,
    authorId: objectId(memberId),
    editedAt: null,
  });
  if (created) {
    await publish(context, domainEvent("postAdded", { postId: document._id.toHexString(), boardId }));
  }
  return document;
}

/** Edits a post: its author, the group's officers, or staff; pinning needs an officer or staff. */
export async function updatePost(context: GroupsContext, rawId: string, rawInput: Record<string, unknown>): Promise<PostDocument> {
  requiredNotNull(rawInput, ["title", "body", "tags", "attachments", "pinned", "urgent"], "input");
  const input = validated(updatePostSchema, rawInput, "input", KEEP_NULLS);
  const post = await requirePost(context, rawId, "id");
  const group = await groupOf(context, post);
  const role = roleIn(group, context.identity);
  const moderator = isStaff(context.identity) || isOfficer(role);
  if (!moderator && post.authorId.toHexString() !== context.identity.memberId) {
    throw refusal(context.identity, "投稿者・代表・世話人・事務局のみ編集できます (only the author and the group's officers may edit)");
  }
  if (input.pinned !== undefined && input.pinned !== post.pinned && !moderator) {
    throw refusal(context.identity, "ピン留めは代表・世話人・事務局のみです (only the group's officers may pin posts)");
  }
  const updated = await context.models.Post.findByIdAndUpdate(
    post._id,
    { $set: { ...input, editedAt: new Date() } },
    { returnDocument: "after" },
  ).lean<PostDocument>();
  if (updated === null) throw notFound("Post", rawId);
  const boardId = updated.boardId.toHexString();
  await publish(context, domainEvent("postUpdated", { postId: updated._id.toHexString(), boardId }));
  return updated;
}

export async function addComment(context: GroupsContext, rawInput: unknown, idempotencyKey: string): Promise<CommentDocument> {
  const input = validated(addCommentSchema, rawInput, "input", KEEP_NULLS);
  const post = await context.loaders.post.load(input.postId);
  if (post === null) throw boardWriteRefused(context.identity);
  const group = await groupOf(context, post);
  const { memberId } = assertMemberOf(group, context.identity);
  const creation = creationStamp(context.identity, idempotencyKey, "idempotencyKey", input, new Date());
  const { document, created } = await insertOnce(context.models.Comment, creation, {
    postId: post._id,
    boardId: post.boardId,
    groupId: post.groupId,
    authorId: objectId(memberId),
    body: input.body,
  });
  if (created) {
    const payload = { commentId: document._id.toHexString(), postId: input.postId, boardId: post.boardId.toHexString() };
    await publish(context, domainEvent("commentAdded", payload));
  }
  return document;
}

/** Records 確認しました once per member, however often it is pressed; members of the group only. */
export async function acknowledgePost(context: GroupsContext, rawPostId: string): Promise<PostDocument> {
  const postId = parseId(rawPostId, "postId");
  const post = await context.loaders.post.load(postId);
  if (post === null) throw boardWriteRefused(context.identity);
  const { memberId } = assertMemberOf(await groupOf(context, post), context.identity);
  const key = { postId: post._id, memberId: objectId(memberId) };
  const acknowledge = () => context.models.Acknowledgement.updateOne(key, { $setOnInsert: { ...key, acknowledgedAt: new Date() } }, { upsert: true });
  try {
    await acknowledge();
  } catch (error) {
    // Two presses at once: both upserts try to insert and one hits the unique index; the retry finds the row.
    if ((error as { code?: unknown }).code !== 11000) throw error;
    await acknowledge();
  }
  context.loaders.acknowledgements.clear(postId);
  return post;
}
