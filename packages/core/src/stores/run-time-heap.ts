/**
 * A binary min-heap of entries ordered by run time, each entry knowing its own position, so that
 * insert, remove and re-key are O(log n) and the earliest is O(1).
 */
export interface HeapEntry {
  /** Position in the heap; -1 when not in it. */
  heapIndex: number;
  /** The key, epoch ms; it must not change while the entry is in the heap. */
  readonly runTime: number;
  /** Breaks ties so that equal run times come out in insertion order. */
  readonly sequence: number;
}

export class RunTimeHeap<TEntry extends HeapEntry> {
  private readonly items: TEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): TEntry | undefined {
    return this.items[0];
  }

  push(entry: TEntry): void {
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.up(entry.heapIndex);
  }

  remove(entry: TEntry): void {
    const index = entry.heapIndex;
    if (index < 0) return;
    const last = this.items.pop()!;
    entry.heapIndex = -1;
    if (last === entry) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.up(index);
    this.down(last.heapIndex);
  }

  /** Moves an entry whose run time changed to its place (adds it if it is not in the heap). */
  update(entry: TEntry): void {
    if (entry.heapIndex < 0) {
      this.push(entry);
      return;
    }
    this.up(entry.heapIndex);
    this.down(entry.heapIndex);
  }

  clear(): void {
    for (const entry of this.items) entry.heapIndex = -1;
    this.items.length = 0;
  }

  private before(a: TEntry, b: TEntry): boolean {
    return a.runTime < b.runTime || (a.runTime === b.runTime && a.sequence < b.sequence);
  }

  private up(index: number): void {
    const items = this.items;
    const entry = items[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!this.before(entry, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }

  private down(index: number): void {
    const items = this.items;
    const length = items.length;
    const entry = items[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && this.before(items[right]!, items[left]!) ? right : left;
      if (!this.before(items[child]!, entry)) break;
      items[index] = items[child]!;
      items[index]!.heapIndex = index;
      index = child;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }
}
