/** @module Short phrases for people: how long ago something happened, a relay error's field. */

/** "just now", "5 min ago", "3 h ago", "2 days ago", or a date past 30 days; "never" for null. */
export function ago(at: number | null, now = Date.now()): string {
  if (at === null) return 'never'
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  if (s < 30 * 86_400) return `${Math.floor(s / 86_400)} days ago`
  return new Date(at).toLocaleDateString()
}

/** A relay refusal for a form: "Email: this email is already a member" when the field has a label. */
export function fieldMessage(
  r: { message: string; field?: string },
  labels: Record<string, string> = {},
): string {
  const label = r.field ? (labels[r.field] ?? null) : null
  return label ? `${label}: ${r.message}` : r.message
}
