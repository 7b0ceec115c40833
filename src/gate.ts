/**
 * A first-come-first-served read/write gate for one store. Native work that runs on the thread pool
 * holds the gate until it resolves, so a write issued later never blocks the event loop on the
 * native lock, and calls take effect in the order they were made.
 */
export class ReadWriteGate {
  /** > 0: that many readers inside; -1: one writer inside. */
  private active = 0
  private readonly waiting: { write: boolean; enter: () => void }[] = []

  async run<T>(write: boolean, body: () => T | Promise<T>): Promise<T> {
    if (this.waiting.length === 0 && this.fits(write)) this.enter(write)
    else await new Promise<void>((enter) => this.waiting.push({ write, enter }))
    try {
      return await body()
    } finally {
      this.active = write ? 0 : this.active - 1
      this.admit()
    }
  }

  private fits(write: boolean): boolean {
    return write ? this.active === 0 : this.active >= 0
  }

  private enter(write: boolean): void {
    this.active = write ? -1 : this.active + 1
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0].write)) {
      const next = this.waiting.shift()!
      this.enter(next.write)
      next.enter()
    }
  }
}
