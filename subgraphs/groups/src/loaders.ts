// Per-request DataLoaders of the groups subgraph: every lookup by id or by parent is one batched query per request, results in key order.
import DataLoader from "dataloader";
import { trusted } from "mongoose";
import type { Model } from "mongoose";
import { byIdLoader } from "@tsunagu/service-kit";
import type { AcknowledgementDocument, CommentDocument, GroupDocument, GroupsModels, MemberDocument, MemberView, PostDocument } from "./models";

/**
 * A loader of the documents whose `path` holds a key (ObjectId hex, or a plain string for other subgraphs' ids);
 * `keysOf` says under which requested keys a document belongs (several for array paths such as `members.memberId`).
 * Errors reject the whole batch: a database fault is never turned into "not found".
 */
function manyBy<T>(model: Model<T>, path: string, keysOf: (document: T) => string[]): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const documents = (await model.find({ [path]: trusted({ $in: [...keys] }) }).lean()) as T[];
    const byKey = new Map<string, T[]>(keys.map((key) => [key, []]));
    for (const document of documents) {
      for (const key of keysOf(document)) byKey.get(key)?.push(document);
    }
    return keys.map((key) => byKey.get(key) ?? []);
  });
}

/** The loaders of one request (never shared across requests). */
export interface GroupsLoaders {
  /** Read without the search keys (MemberView). */
  member: DataLoader<string, MemberView | null>;
  group: DataLoader<string, GroupDocument | null>;
  post: DataLoader<string, PostDocument | null>;
  comment: DataLoader<string, CommentDocument | null>;
  /** Board id → the group owning it (a board lives inside its group). */
  groupByBoard: DataLoader<string, GroupDocument[]>;
  /** Member id → the groups they belong to. */
  groupsOfMember: DataLoader<string, GroupDocument[]>;
  /** Group id → its subgroups. */
  subgroups: DataLoader<string, GroupDocument[]>;
  /** Resource id (of the resources subgraph) → the members affiliated with it. */
  staffOfResource: DataLoader<string, MemberDocument[]>;
  /** Post id → its read acknowledgements. */
  acknowledgements: DataLoader<string, AcknowledgementDocument[]>;
}

export function createLoaders(models: GroupsModels): GroupsLoaders {
  return {
    member: byIdLoader((ids) => models.Member.find({ _id: trusted({ $in: ids }) }, { searchKeys: 0 }).lean<MemberView[]>()),
    group: byIdLoader((ids) => models.Group.find({ _id: trusted({ $in: ids }) }).lean<GroupDocument[]>()),
    post: byIdLoader((ids) => models.Post.find({ _id: trusted({ $in: ids }) }).lean<PostDocument[]>()),
    comment: byIdLoader((ids) => models.Comment.find({ _id: trusted({ $in: ids }) }).lean<CommentDocument[]>()),
    groupByBoard: manyBy(models.Group, "board._id", (group) => [group.board._id.toHexString()]),
    groupsOfMember: manyBy(models.Group, "members.memberId", (group) => group.members.map((member) => member.memberId.toHexString())),
    subgroups: manyBy(models.Group, "parentId", (group) => (group.parentId ? [group.parentId.toHexString()] : [])),
    staffOfResource: manyBy(models.Member, "affiliation.resourceId", (member) => (member.affiliation ? [member.affiliation.resourceId] : [])),
    acknowledgements: manyBy(models.Acknowledgement, "postId", (acknowledgement) => [acknowledgement.postId.toHexString()]),
  };
}
