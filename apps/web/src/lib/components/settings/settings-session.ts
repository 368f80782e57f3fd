/** @module What the settings components share: the signed-in token and the phrasing helpers. */
import { session } from '$lib/sync/session.svelte.ts'

export { ago, fieldMessage } from '$lib/util/relative-time.ts'

/** The current access token (the replica keeps it fresh in the session). */
export const token = (): string => session.current?.token ?? ''
