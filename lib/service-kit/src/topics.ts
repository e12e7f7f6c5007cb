// The one list of domain events: each type's payload and the topic it travels on, used by the publishing subgraphs and the gateway's subscriptions alike.
import type { DomainEvent } from "./pubsub";

/** Each domain event type and its payload (ids as hex strings). */
export interface DomainEventPayloads {
  postAdded: { postId: string; boardId: string };
  postUpdated: { postId: string; boardId: string };
  commentAdded: { commentId: string; postId: string; boardId: string };
  availabilityChanged: { resourceId: string; category: string; district: string | null };
  transitionNoticeReceived: { noticeId: string; recipientId: string };
  registrationPromoted: { registrationId: string; eventId: string; memberId: string | null };
}

export type DomainEventType = keyof DomainEventPayloads;

/** The topics events travel on, built from the ids a subscriber names. */
export const topics = {
  /** A board's posts (postAdded, postUpdated). */
  board: (boardId: string) => `board:${boardId}`,
  /** A post's comments (commentAdded). */
  post: (postId: string) => `post:${postId}`,
  /** Every resource's vacancy (availabilityChanged). */
  availability: () => "availability",
  /** The notices sent to one member (transitionNoticeReceived). */
  transitionRecipient: (memberId: string) => `transitions:recipient:${memberId}`,
  /** An event's waiting list (registrationPromoted). */
  event: (eventId: string) => `event:${eventId}`,
} as const;

/** The topic each event type is published on, from its payload. */
const TOPIC_OF: { [T in DomainEventType]: (payload: DomainEventPayloads[T]) => string } = {
  postAdded: ({ boardId }) => topics.board(boardId),
  postUpdated: ({ boardId }) => topics.board(boardId),
  commentAdded: ({ postId }) => topics.post(postId),
  availabilityChanged: () => topics.availability(),
  transitionNoticeReceived: ({ recipientId }) => topics.transitionRecipient(recipientId),
  registrationPromoted: ({ eventId }) => topics.event(eventId),
};

/** A domain event ready to publish: its type, its payload, and the topic the type travels on. */
export function domainEvent<T extends DomainEventType>(type: T, payload: DomainEventPayloads[T]): DomainEvent {
  return { type, topic: TOPIC_OF[type](payload), payload: { ...payload } };
}
