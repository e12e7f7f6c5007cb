// The groups subgraph's resolvers, typed by codegen: each translates arguments and delegates to a service module or a per-request loader.
import { GraphQLScalarType, valueFromASTUntyped } from "graphql";
import { DateTimeResolver, EmailAddressResolver, URLResolver } from "graphql-scalars";
import {
  boardOfItem,
  boardPosts,
  boardRefOf,
  findBoard,
  findComment,
  findPost,
  acknowledgePost,
  acknowledgedByMe,
  addComment,
  authorOf,
  createPost,
  notReadBy,
  postComments,
  postOfComment,
  readBy,
  updatePost,
} from "./boards";
import { consultationStats, findConsultation, listConsultations, recordConsultation, updateConsultation } from "./consultations";
import type { GroupsContext } from "./context";
import { contactDirectory, contactDirectoryCsv, contactDirectoryHtml } from "./directory";
import { professionLabel } from "./domain";
import type { Resolvers } from "./generated/resolvers-types";
import {
  createGroup,
  createMember,
  findGroup,
  findMember,
  groupMembers,
  listGroups,
  membershipsOf,
  referencedId,
  setGroupMembership,
  updateMember,
  visibleAvoidCallingHours,
  visibleContactWindow,
  visiblePhotoUrl,
  visibleWorkContact,
} from "./people";
import { maySeeContacts } from "./access";
import type { Types } from "mongoose";

/**
 * A graphql-scalars scalar that serialises as usual but hands input values to the resolvers as given, where
 * they are validated with the rest of the input (see scripts/codegen.ts: a bad value is a BAD_USER_INPUT with its field).
 */
function validatedInResolvers(scalar: GraphQLScalarType): GraphQLScalarType {
  return new GraphQLScalarType({
    ...scalar.toConfig(),
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
  });
}

const hex = (document: { _id: Types.ObjectId }) => document._id.toHexString();

/** Loads a member referenced by one of our documents (a handler, a window's person, an acknowledger). */
function memberById(context: GroupsContext, id: Types.ObjectId | null | undefined) {
  return id ? context.loaders.member.load(id.toHexString()) : null;
}

export const resolvers: Resolvers = {
  DateTime: validatedInResolvers(DateTimeResolver),
  URL: validatedInResolvers(URLResolver),
  EmailAddress: validatedInResolvers(EmailAddressResolver),

  Query: {
    group: (_root, { id }, context) => findGroup(context, id),
    groups: (_root, { filter, first, after }, context) => listGroups(context, filter, first, after),
    member: (_root, { id }, context) => findMember(context, id),
    contactDirectory: (_root, { filter, first, after }, context) => contactDirectory(context, filter, first, after),
    contactDirectoryCsv: (_root, { filter }, context) => contactDirectoryCsv(context, filter),
    contactDirectoryHtml: (_root, { filter, title }, context) => contactDirectoryHtml(context, filter, title),
    board: (_root, { id }, context) => findBoard(context, id),
    post: (_root, { id }, context) => findPost(context, id),
    comment: (_root, { id }, context) => findComment(context, id),
    consultation: (_root, { id }, context) => findConsultation(context, id),
    consultations: (_root, { filter, first, after }, context) => listConsultations(context, filter, first, after),
    consultationStats: (_root, { from, to }, context) => consultationStats(context, from, to),
  },

  Mutation: {
    createMember: (_root, { input, idempotencyKey }, context) => createMember(context, input, idempotencyKey),
    updateMember: (_root, { id, input }, context) => updateMember(context, id, input),
    createGroup: (_root, { input, idempotencyKey }, context) => createGroup(context, input, idempotencyKey),
    setGroupMembership: (_root, { groupId, memberId, role }, context) => setGroupMembership(context, groupId, memberId, role),
    createPost: (_root, { input, idempotencyKey }, context) => createPost(context, input, idempotencyKey),
    updatePost: (_root, { id, input }, context) => updatePost(context, id, input),
    addComment: (_root, { input, idempotencyKey }, context) => addComment(context, input, idempotencyKey),
    acknowledgePost: (_root, { postId }, context) => acknowledgePost(context, postId),
    recordConsultation: (_root, { input, idempotencyKey }, context) => recordConsultation(context, input, idempotencyKey),
    updateConsultation: (_root, { id, input }, context) => updateConsultation(context, id, input),
  },

  Group: {
    __resolveReference: (reference, context) => {
      const id = referencedId(reference.id);
      return id ? context.loaders.group.load(id) : null;
    },
    id: hex,
    parent: (group, _args, context) => (group.parentId ? context.loaders.group.load(group.parentId.toHexString()) : null),
    subgroups: (group, _args, context) => context.loaders.subgroups.load(hex(group)),
    contactWindow: (group, _args, context) => visibleContactWindow(group.contactWindow, context.identity),
    members: (group, args, context) => groupMembers(context, group, args),
    board: (group) => boardRefOf(group),
  },

  GroupContactWindow: {
    member: (window, _args, context) => memberById(context, window.memberId),
  },

  Member: {
    __resolveReference: (reference, context) => {
      const id = referencedId(reference.id);
      return id ? context.loaders.member.load(id) : null;
    },
    id: hex,
    professionLabel: (member) => professionLabel(member.profession),
    affiliation: (member) => (member.affiliation ? { id: member.affiliation.resourceId } : null),
    workContact: (member, _args, context) => visibleWorkContact(member, context.identity),
    photoUrl: (member, _args, context) => visiblePhotoUrl(member, context.identity),
    photoPublic: (member) => member.photoPublic === true,
    avoidCallingHours: (member, _args, context) =>
      visibleAvoidCallingHours(member, context.identity).map((window) => ({ ...window, reason: window.reason ?? null })),
    groups: (member, _args, context) => membershipsOf(context, member),
  },

  Resource: {
    __resolveReference: (reference) => ({ id: reference.id }),
    // Who works where is for those who may contact them (professionals, staff, vendors with groups:contacts).
    staff: (resource, _args, context) => (maySeeContacts(context.identity) ? context.loaders.staffOfResource.load(resource.id) : []),
  },

  Board: {
    id: ({ board }) => hex(board),
    group: ({ group }) => group,
    name: ({ board }) => board.name,
    visibility: ({ board }) => board.visibility,
    posts: (ref, args, context) => boardPosts(context, ref, args),
  },

  Post: {
    id: hex,
    board: (post, _args, context) => boardOfItem(context, post),
    author: (post, _args, context) => authorOf(context, post),
    comments: (post, args, context) => postComments(context, post, args),
    acknowledgedByMe: (post, _args, context) => acknowledgedByMe(context, post),
    readBy: (post, _args, context) => readBy(context, post),
    notReadBy: (post, _args, context) => notReadBy(context, post),
  },

  ReadAcknowledgement: {
    member: async (acknowledgement, _args, context) => {
      const member = await memberById(context, acknowledgement.memberId);
      if (member === null) throw new Error(`member ${acknowledgement.memberId.toHexString()} of an acknowledgement is missing`);
      return member;
    },
  },

  Comment: {
    id: hex,
    post: (comment, _args, context) => postOfComment(context, comment),
    author: (comment, _args, context) => authorOf(context, comment),
  },

  Consultation: {
    id: hex,
    handledBy: (consultation, _args, context) => memberById(context, consultation.handledById),
  },

  ConsultationRequester: {
    organization: (requester) => (requester.organizationId ? { id: requester.organizationId } : null),
  },
};
