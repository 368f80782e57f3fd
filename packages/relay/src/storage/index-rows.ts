/**
 * @module Directory rows written with the room log's next commit instead of a commit of their
 * own: the conversation index, webhook activity ids, client-id bindings and provider calls. Each is written
 * once per conversation, activity or room client, on the ingestion path, where a commit apiece
 * held the event loop for an fsync each. They are idempotent inserts, enqueued before the room
 * appends they go with, so they are never durable after them.
 */

export type IndexRow =
  | { kind: 'conversation'; id: string; phoneNumberId: string }
  | { kind: 'activity'; id: string }
  | { kind: 'client'; room: string; client: number; memberId: string }
  /** Where a provider's call was filed, for its later summary or transcript ([W10]). */
  | {
      kind: 'call'
      callKey: string
      phoneNumberId: string
      conversationId: string
      activityId: string
    }

/** Queues a row for the next commit; resolves once it is durable. */
export type IndexSink = (row: IndexRow) => Promise<void>
