/** @module A set of listeners: `add` returns the unsubscribe function every `onX` hands back. */
export class Listeners<Args extends unknown[] = []> {
  private readonly set = new Set<(...args: Args) => void>()

  add(listener: (...args: Args) => void): () => void {
    this.set.add(listener)
    return () => this.set.delete(listener)
  }

  emit(...args: Args): void {
    for (const l of this.set) l(...args)
  }
}
