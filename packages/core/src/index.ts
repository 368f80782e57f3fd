/** @module @switchboard/core — the inbox data model in Yjs and the rules that merge it (SPEC.md). */
export { assert, must } from './assert.ts'
export {
  createHlc,
  compareTimestamps,
  formatTimestamp,
  parseTimestamp,
  isTimestamp,
  timestampWall,
  DEFAULT_MAX_DRIFT,
} from './hlc.ts'
export type { Hlc, HlcOptions, Timestamp } from './hlc.ts'
export { ConversationStatus, MarkKind, markKinds } from './types.ts'
export type {
  Activity,
  ActivityDirection,
  ActivityKind,
  ActivitySummary,
  Author,
  Conversation,
  Decision,
  HistoryEntry,
  ListOptions,
  Mention,
  Note,
  View,
} from './types.ts'
export { checkActivity, summarize } from './activity.ts'
export type { ActivityCheck } from './activity.ts'
export {
  ingestActivity,
  markConversation,
  pinConversation,
  unpinConversation,
  assignConversation,
  getConversation,
  conversationIds,
  listConversations,
  compareForList,
  matchesView,
  unreadCount,
  onConversationsChange,
  history,
  compactHistory,
} from './inbox.ts'
export type { IngestResult } from './inbox.ts'
export { deriveConversation, winner } from './derive.ts'
export {
  applyRestore,
  checkRestoreTime,
  planRestore,
  restoreInbox,
  DEFAULT_RESTORE_RETENTION_DAYS,
  RESTORE_DEVICE,
} from './restore.ts'
export type { RestoreOptions, RestorePlan, RestoreTimeCheck, RestoreWrite } from './restore.ts'
export { compactInbox, replayIntoEpoch, epochOf, epochRoot } from './epoch.ts'
export type {
  CompactOptions,
  CompactResult,
  EpochInfo,
  ReplayAuthor,
  ReplayResult,
} from './epoch.ts'
export {
  decodeLogEntry,
  decodeMark,
  decodeRecord,
  decodeRecordTuple,
  encodeLogEntry,
  encodeMark,
  encodeRecord,
  inboxRoots,
  Lane,
  markKey,
  parseMarkKey,
  SEP,
} from './schema.ts'
export { forEachMark, forEachRecord, readActivityLog, readMark, readRecord } from './readers.ts'
export { baseOf, baseLogOf, decodeBase, encodeBase } from './epoch-base.ts'
export type { BaseMark, EpochBase } from './epoch-base.ts'
export type {
  ActivityLogEntry,
  ConversationRecord,
  MarkEntry,
  StoredLogEntry,
  StoredMark,
  StoredRecord,
} from './schema.ts'
export { teamFigures, WEEKDAYS } from './stats.ts'
export type {
  BacklogPoint,
  CompletionFigures,
  FiguresOptions,
  MemberMarks,
  MemberResponseFigures,
  ResponseFigures,
  TeamFigures,
} from './stats.ts'
export { mergeHistory } from './stats-timeline.ts'
export { doneWithNewIncoming, openWithoutResponse } from './weekly-review.ts'
export type { ReopenedAfterDone, WaitingConversation } from './weekly-review.ts'
export {
  appendActivity,
  listActivities,
  addNote,
  listNotes,
  conversationRoots,
  MENTION_RE,
} from './conversation-doc.ts'
export type { NoteInput } from './conversation-doc.ts'
export {
  DeliveryState,
  deliveryStates,
  deliveryOf,
  deliveryRoot,
  setDelivery,
  supersedes,
  accepted,
} from './delivery.ts'
export type { Delivery } from './delivery.ts'
export {
  boundCallDetails,
  callDetailsOf,
  callDetailsRoot,
  setCallDetails,
  MAX_CALL_DETAILS_CHARS,
  MAX_CALL_DETAILS_LINE,
} from './call-details.ts'
export type { CallDetails, CallDetailsPatch, TranscriptTurn } from './call-details.ts'
export { addMention, clearMention, listMentions } from './mentions.ts'
export {
  MemberRole,
  setMember,
  removeMember,
  setPhoneNumber,
  removePhoneNumber,
  grantAccess,
  revokeAccess,
  readWorkspace,
  workspaceRoots,
} from './workspace.ts'
export type { Workspace, WorkspaceMember, WorkspacePhoneNumber } from './workspace.ts'
export { updateContact, getContact, listContacts, contactRoots } from './contacts.ts'
export type { Contact, ContactPatch } from './contacts.ts'
export { contactNameOf, contactNames, onContactNamesChange } from './contact-names.ts'
export { onContactsChange } from './contact-index.ts'
export {
  assignRefusal,
  assignableMembers,
  needsNewOwner,
  workspaceDirectory,
} from './assignment.ts'
export type { AssigneeDirectory } from './assignment.ts'
export { admitUpdate, unpredictedDeletion, validateUpdate, RejectCode } from './validate.ts'
export type { Admission, Admitted, UpdateCheck, UpdateContext } from './validate.ts'
export { parseRoom, roomName, isValidId } from './rooms.ts'
export type { Room, RoomKind } from './rooms.ts'
export {
  checkPattern,
  globMatch,
  senderMatches,
  textMatches,
  MAX_ALTERNATIVES,
  MAX_MATCHED_CHARS,
  MAX_PATTERN_CHARS,
} from './glob.ts'
export type { PatternCheck } from './glob.ts'
export {
  listMutes,
  markDoneByRule,
  matchingRule,
  muteOf,
  mutesRoot,
  ruleMatches,
  RULE_DEVICE,
  RuleKind,
  staleConversations,
  writeMutes,
} from './rules.ts'
export type { MuteView, StaleOptions, TriageRule } from './rules.ts'
export {
  CONTACT_NOTES_MAX_CHARS,
  CONTACT_NOTES_TOTAL_CHARS,
  contactNotesNumber,
  contactNotesRoot,
  contactNotesText,
  editContactNotes,
  indexAfter,
  isContactNumber,
  readContactNotes,
  rebaseEdit,
  setContactNotes,
  textEdit,
} from './contact-notes.ts'
export type { TextEdit } from './contact-notes.ts'
export { snoozeConversation, unsnoozeConversation, inboxNextWake } from './snooze.ts'
export {
  decodeSnoozeUntil,
  encodeSnoozeUntil,
  isSnoozed,
  nextWake,
  snoozeState,
} from './snooze-rules.ts'
export type { SnoozeState, SnoozeUntil, WakeReason } from './snooze-rules.ts'
export type { Snooze } from './types.ts'
export { MAX_TERMS, TextIndex, queryTerms } from './search-index.ts'
export type { GroupHit, IndexedField, SearchDoc } from './search-index.ts'
export { matchRanges, snippet } from './search-snippet.ts'
export type { Segment } from './search-snippet.ts'
export {
  CONTACT_GROUP,
  SearchDocKind,
  SearchWeight,
  activityDoc,
  contactDoc,
  conversationDoc,
  searchDocKey,
  fieldLabel,
  searchDocKindOf,
  noteDoc,
} from './search-docs.ts'
