/**
 * Runs tasks with the same key one after another (different keys run in parallel).
 * The ETag is what makes decisions safe across instances; this only keeps one process from
 * racing itself for the same cluster entity, which under load turned most writes into 412s.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
