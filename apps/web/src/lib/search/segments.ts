/**
 * @module A result's marked text as DOM: text nodes and `<mark>` elements built from the segments,
 * never HTML, so a message cannot inject markup. One call replaces an element's children, which
 * costs far less per key than a template block per segment (50 results, several segments each).
 */
import type { Segment } from '@switchboard/core'

/** An attachment (`{@attach}`) that shows `segments` as the element's children. */
export function segmentsOf(segments: readonly Segment[]): (node: HTMLElement) => void {
  return (node) => {
    const doc = node.ownerDocument
    node.replaceChildren(
      ...segments.map((s) => {
        if (!s.mark) return doc.createTextNode(s.text)
        const mark = doc.createElement('mark')
        mark.textContent = s.text
        return mark
      }),
    )
  }
}
