// The groups subgraph's collections as mongoose models (groups with their boards, members, posts, comments, read acknowledgements, consultations) and their stored shapes.
import { compiledOnce, withCreationStamp } from "@tsunagu/service-kit";
import type { CreationStamp } from "@tsunagu/service-kit";
import { Schema, Types } from "mongoose";
import type { Connection, Model } from "mongoose";
import {
  BOARD_VISIBILITIES,
  CONSULTATION_CATEGORIES,
  CONSULTATION_CHANNELS,
  CONSULTATION_STATUSES,
  GROUP_KINDS,
  GROUP_ROLES,
  PROFESSIONS,
  WEEKDAYS,
} from "./domain";
import type {
  AvoidCallingWindow,
  BoardVisibility,
  ConsultationCategory,
  ConsultationChannel,
  ConsultationStatus,
  GroupKind,
  GroupRole,
  Profession,
} from "./domain";

interface Stored {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
  creation?: CreationStamp;
}

/**
 * What a member's record keeps of the resource they work at. The resources subgraph owns the resource;
 * this copy is taken when the affiliation is set, so that the contact directory can filter by district and
 * category and print organisation names without calling another service. `Member.affiliation` resolves
 * the live resource through federation.
 */
export interface AffiliationSnapshot {
  resourceId: string;
  name: string;
  kana?: string | null;
  district?: string | null;
  category: string;
  categoryLabel?: string | null;
  /** Normalised reading (or name), the directory's order. */
  sortKey: string;
}

export interface MemberDocument extends Stored {
  name: string;
  kana: string;
  profession: Profession;
  title?: string | null;
  affiliation?: AffiliationSnapshot | null;
  photoUrl?: string | null;
  /** The member chose to show their photo to everyone; otherwise it is for professionals and staff. */
  photoPublic?: boolean;
  workContact?: { phone?: string | null; email?: string | null } | null;
  avoidCallingHours: AvoidCallingWindow[];
  /** Normalised reading: the order of names within an organisation. */
  sortKey: string;
  searchKeys: string[];
}

/** A member as the graph's fields are resolved from it: the `member` loader leaves out the search keys, which only searches use. */
export type MemberView = Omit<MemberDocument, "searchKeys">;

export interface GroupMemberRecord {
  memberId: Types.ObjectId;
  role: GroupRole;
  joinedAt: Date;
}

export interface ContactWindowRecord {
  name: string;
  memberId?: Types.ObjectId | null;
  phone?: string | null;
  email?: string | null;
  note?: string | null;
}

/** A group's board lives inside the group: created and read with it, one per group. */
export interface BoardRecord {
  _id: Types.ObjectId;
  name: string;
  visibility: BoardVisibility;
}

export interface GroupDocument extends Stored {
  kind: GroupKind;
  name: string;
  kana?: string | null;
  description?: string | null;
  parentId?: Types.ObjectId | null;
  contactWindow?: ContactWindowRecord | null;
  members: GroupMemberRecord[];
  board: BoardRecord;
  sortKey: string;
  searchKeys: string[];
}

/** A board as resolvers see it: the board and the group it belongs to. */
export interface BoardRef {
  board: BoardRecord;
  group: GroupDocument;
}

export interface PostDocument extends Stored {
  boardId: Types.ObjectId;
  groupId: Types.ObjectId;
  authorId: Types.ObjectId;
  title: string;
  body: string;
  tags: string[];
  attachments: string[];
  pinned: boolean;
  urgent: boolean;
  editedAt?: Date | null;
}

export interface CommentDocument extends Stored {
  postId: Types.ObjectId;
  boardId: Types.ObjectId;
  groupId: Types.ObjectId;
  authorId: Types.ObjectId;
  body: string;
}

export interface AcknowledgementDocument {
  _id: Types.ObjectId;
  postId: Types.ObjectId;
  memberId: Types.ObjectId;
  acknowledgedAt: Date;
}

export interface ConsultationRequesterRecord {
  profession?: Profession | null;
  organizationName?: string | null;
  organizationId?: string | null;
}

export interface ConsultationDocument extends Stored {
  receivedAt: Date;
  channels: ConsultationChannel[];
  requester: ConsultationRequesterRecord;
  category: ConsultationCategory;
  summary: string;
  status: ConsultationStatus;
  handledById?: Types.ObjectId | null;
  resolution?: string | null;
}

/** A reference to a resource of the resources subgraph: only its key. */
export interface ResourceRef {
  id: string;
}

export interface GroupsModels {
  Group: Model<GroupDocument>;
  Member: Model<MemberDocument>;
  Post: Model<PostDocument>;
  Comment: Model<CommentDocument>;
  Acknowledgement: Model<AcknowledgementDocument>;
  Consultation: Model<ConsultationDocument>;
}

const optionalString = { type: String, default: undefined };

const memberSchema = withCreationStamp(
  new Schema<MemberDocument>(
    {
      name: { type: String, required: true },
      kana: { type: String, required: true },
      profession: { type: String, enum: PROFESSIONS, required: true },
      title: optionalString,
      affiliation: {
        type: new Schema<AffiliationSnapshot>(
          {
            resourceId: { type: String, required: true },
            name: { type: String, required: true },
            kana: optionalString,
            district: optionalString,
            category: { type: String, required: true },
            categoryLabel: optionalString,
            sortKey: { type: String, required: true },
          },
          { _id: false },
        ),
        default: undefined,
      },
      photoUrl: optionalString,
      photoPublic: { type: Boolean, default: false },
      workContact: { type: new Schema({ phone: optionalString, email: optionalString }, { _id: false }), default: undefined },
      avoidCallingHours: [new Schema({ days: [{ type: String, enum: WEEKDAYS }], from: String, to: String, reason: optionalString }, { _id: false })],
      sortKey: { type: String, required: true },
      searchKeys: { type: [String], default: [] },
    },
    { collection: "members", timestamps: true },
  ),
);
memberSchema.index({ "affiliation.resourceId": 1 });
memberSchema.index({ "affiliation.sortKey": 1, "affiliation.resourceId": 1, sortKey: 1 });
memberSchema.index({ "affiliation.district": 1, "affiliation.category": 1, profession: 1 });

const groupSchema = withCreationStamp(
  new Schema<GroupDocument>(
    {
      kind: { type: String, enum: GROUP_KINDS, required: true },
      name: { type: String, required: true },
      kana: optionalString,
      description: optionalString,
      parentId: { type: Schema.Types.ObjectId, default: null },
      contactWindow: {
        type: new Schema<ContactWindowRecord>(
          {
            name: { type: String, required: true },
            memberId: { type: Schema.Types.ObjectId, default: undefined },
            phone: optionalString,
            email: optionalString,
            note: optionalString,
          },
          { _id: false },
        ),
        default: undefined,
      },
      members: [
        new Schema<GroupMemberRecord>(
          {
            memberId: { type: Schema.Types.ObjectId, required: true },
            role: { type: String, enum: GROUP_ROLES, required: true },
            joinedAt: { type: Date, required: true },
          },
          { _id: false },
        ),
      ],
      board: {
        type: new Schema<BoardRecord>({
          name: { type: String, required: true },
          visibility: { type: String, enum: BOARD_VISIBILITIES, required: true },
        }),
        required: true,
      },
      sortKey: { type: String, required: true },
      searchKeys: { type: [String], default: [] },
    },
    { collection: "groups", timestamps: true },
  ),
);
groupSchema.index({ "board._id": 1 }, { unique: true });
groupSchema.index({ "members.memberId": 1 });
groupSchema.index({ parentId: 1 });
groupSchema.index({ sortKey: 1, _id: 1 });

const postSchema = withCreationStamp(
  new Schema<PostDocument>(
    {
      boardId: { type: Schema.Types.ObjectId, required: true },
      groupId: { type: Schema.Types.ObjectId, required: true },
      authorId: { type: Schema.Types.ObjectId, required: true },
      title: { type: String, required: true },
      body: { type: String, required: true },
      tags: { type: [String], default: [] },
      attachments: { type: [String], default: [] },
      pinned: { type: Boolean, default: false },
      urgent: { type: Boolean, default: false },
      editedAt: { type: Date, default: null },
    },
    { collection: "board_posts", timestamps: true },
  ),
);
postSchema.index({ boardId: 1, pinned: -1, createdAt: -1, _id: -1 });
postSchema.index({ boardId: 1, tags: 1 });

const commentSchema = withCreationStamp(
  new Schema<CommentDocument>(
    {
      postId: { type: Schema.Types.ObjectId, required: true },
      boardId: { type: Schema.Types.ObjectId, required: true },
      groupId: { type: Schema.Types.ObjectId, required: true },
      authorId: { type: Schema.Types.ObjectId, required: true },
      body: { type: String, required: true },
    },
    { collection: "board_comments", timestamps: true },
  ),
);
commentSchema.index({ postId: 1, createdAt: 1, _id: 1 });

const acknowledgementSchema = new Schema<AcknowledgementDocument>(
  {
    postId: { type: Schema.Types.ObjectId, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    acknowledgedAt: { type: Date, required: true },
  },
  { collection: "board_acknowledgements" },
);
acknowledgementSchema.index({ postId: 1, memberId: 1 }, { unique: true });

const consultationSchema = withCreationStamp(
  new Schema<ConsultationDocument>(
    {
      receivedAt: { type: Date, required: true },
      channels: [{ type: String, enum: CONSULTATION_CHANNELS }],
      requester: {
        type: new Schema<ConsultationRequesterRecord>(
          { profession: { type: String, enum: PROFESSIONS, default: undefined }, organizationName: optionalString, organizationId: optionalString },
          { _id: false },
        ),
        required: true,
      },
      category: { type: String, enum: CONSULTATION_CATEGORIES, required: true },
      summary: { type: String, required: true },
      status: { type: String, enum: CONSULTATION_STATUSES, required: true },
      handledById: { type: Schema.Types.ObjectId, default: null },
      resolution: optionalString,
    },
    { collection: "consultations", timestamps: true },
  ),
);
consultationSchema.index({ receivedAt: -1, _id: -1 });

/** The models on `connection`, compiled once per connection (`ensureGroupsIndexes` creates their indexes). */
export const groupsModels: (connection: Connection) => GroupsModels = compiledOnce((connection) => ({
  Group: connection.model("Group", groupSchema),
  Member: connection.model("Member", memberSchema),
  Post: connection.model("BoardPost", postSchema),
  Comment: connection.model("BoardComment", commentSchema),
  Acknowledgement: connection.model("BoardAcknowledgement", acknowledgementSchema),
  Consultation: connection.model("Consultation", consultationSchema),
}));

/** Builds every index (the idempotency and acknowledgement indexes must exist before the first write). */
export async function ensureGroupsIndexes(models: GroupsModels): Promise<void> {
  await Promise.all(Object.values(models).map((model: Model<unknown>) => model.init()));
}

/** A new ObjectId from its hex form (the form every `ID` of this subgraph has). */
export function objectId(id: string): Types.ObjectId {
  return new Types.ObjectId(id);
}
