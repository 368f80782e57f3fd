/**
 * @module What Enter does in the composer. On a desktop Enter sends and Shift+Enter adds a line;
 * on a phone (touch, or a narrow screen) Enter adds a line and the Send button sends, because an
 * on-screen keyboard has no Shift+Enter and a message sent half-written cannot be taken back.
 */

/** Touch without a fine pointer, or a screen as narrow as the app's one-pane layout. */
export const PHONE_QUERY = '(hover: none) and (pointer: coarse), (max-width: 760px)'

export interface EnterPress {
  key: string
  shiftKey: boolean
  /** An input method is composing (the Enter confirms a character, it does not send). */
  isComposing: boolean
  /** The device is a phone (see PHONE_QUERY). */
  phone: boolean
}

/** True when this key press sends the message. */
export function enterSends(press: EnterPress): boolean {
  return press.key === 'Enter' && !press.shiftKey && !press.isComposing && !press.phone
}

/** The reply box's hint, which tells the keys only where they apply. */
export function replyPlaceholder(phone: boolean): string {
  return phone ? 'Write a reply…' : 'Write a reply… (Enter to send, Shift+Enter for a new line)'
}
