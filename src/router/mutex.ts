/** A FIFO async mutex: `run` calls execute one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(body: () => Promise<T>): Promise<T> {
    const result = this.tail.then(body, body)
    this.tail = result.catch(() => undefined)
    return result
  }
}
