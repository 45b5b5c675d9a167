// The memory a data-parallel replica shares with the main thread (Node worker_threads): the shard
// it is sent, the gradients it sends back and the weights after each step, in one SharedArrayBuffer,
// with Atomics for the signals instead of messages: no copies by structured clone (on the reference
// CNN, measured: the main thread's serial work fell from 2.2–2.5 to 1.75 ms of a 31–33 ms step, and
// it allocates 0.5 MB a step instead of 4.2 MB, so collects garbage half as often).

/** The sizes an {@link Exchange} is laid out for. @internal */
export interface ExchangeSizes {
  /** The most rows a shard can hold. */
  rows: number;
  /** Values per row (the product of the input shape). */
  per: number;
  /** Classes (values per target). */
  classes: number;
  /** Dropout seeds per shard. */
  seeds: number;
  /** The trainable weight tensors' sizes, in weight order. */
  tensors: number[];
}

// control: counters of events posted (either kind), shards posted, shards answered, weights posted,
// weights taken by the replica; and the rows of the shard posted last.
const POSTED = 0;
const SHARDS = 1;
const ANSWERED = 2;
const WEIGHTS = 3;
const TAKEN = 4;
const ROWS = 5;
const CONTROL = 8;

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/** Resolves once `a[index]` is no longer `from`, with its new value (Atomics.waitAsync: no blocking, no polling). */
async function whenChanged(a: Int32Array, index: number, from: number): Promise<number> {
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  for (;;) {
    const now = Atomics.load(a, index);
    if (now !== from) return now;
    const w = waitAsync(a, index, from);
    if (w.async) await w.value;
  }
}

/** Bytes per value of each region, in buffer order: control, present, seeds, loss (float64), x, y, grads, weights. */
const WIDTH = [4, 4, 4, 8, 4, 4, 4, 4];

/** Each region's length (values) and offset (bytes, 8-aligned), and the bytes in all, for `s`. */
function layout(s: ExchangeSizes): { lengths: number[]; offsets: number[]; bytes: number } {
  const total = s.tensors.reduce((a, n) => a + n, 0);
  const lengths = [CONTROL, s.tensors.length, s.seeds, 1, s.rows * s.per, s.rows * s.classes, total, total];
  const offsets: number[] = [];
  let bytes = 0;
  lengths.forEach((n, i) => {
    offsets.push(bytes);
    bytes += Math.ceil((n * WIDTH[i]) / 8) * 8;
  });
  return { lengths, offsets, bytes };
}

/**
 * One replica's shared memory. The main thread writes the weights after a step ({@link postWeights})
 * and shards ({@link postShard}); the replica ({@link serve}) takes new weights before it computes a
 * shard posted after them, and answers each shard with its loss and gradients. Neither side
 * overwrites what the other still reads: one shard is in flight at a time and the main thread reads
 * its answer before it posts the next; new weights wait until the replica has taken the last ones.
 * @internal
 */
export class Exchange {
  readonly control: Int32Array;
  /** Per weight tensor: 1 where the answered shard has a gradient for it. */
  readonly present: Int32Array;
  readonly seeds: Int32Array;
  readonly loss: Float64Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** The answered shard's gradients, all tensors one after the other. */
  readonly grads: Float32Array;
  /** The weights after the last step, all tensors one after the other. */
  readonly weights: Float32Array;
  private readonly offsets: number[] = [];

  /** An exchange on `buffer` (a new one, of the right size, when omitted). */
  constructor(
    readonly sizes: ExchangeSizes,
    readonly buffer = new SharedArrayBuffer(Exchange.bytes(sizes)),
  ) {
    let sum = 0;
    for (const n of sizes.tensors) {
      this.offsets.push(sum);
      sum += n;
    }
    const { lengths: n, offsets: at } = layout(sizes);
    const b = this.buffer;
    this.control = new Int32Array(b, at[0], n[0]);
    this.present = new Int32Array(b, at[1], n[1]);
    this.seeds = new Int32Array(b, at[2], n[2]);
    this.loss = new Float64Array(b, at[3], n[3]);
    this.x = new Float32Array(b, at[4], n[4]);
    this.y = new Float32Array(b, at[5], n[5]);
    this.grads = new Float32Array(b, at[6], n[6]);
    this.weights = new Float32Array(b, at[7], n[7]);
  }

  /** Bytes of the buffer for `sizes`. */
  static bytes(s: ExchangeSizes): number {
    return layout(s).bytes;
  }

  /** Main thread: sends a shard of `rows` rows (features `x`, targets `y`, dropout seeds). */
  postShard(x: Float32Array, y: Float32Array, rows: number, seeds: number[]): void {
    if (rows > this.sizes.rows)
      throw new RangeError(`a shard of ${rows} rows, with room for ${this.sizes.rows}`);
    this.x.set(x);
    this.y.set(y);
    this.seeds.set(seeds);
    Atomics.store(this.control, ROWS, rows);
    this.post(SHARDS);
  }

  /**
   * Main thread: sends the weights after a step (all tensors one after the other), once the replica
   * has taken the last ones (at once, unless it had no shard in the last step).
   */
  postWeights(weights: Float32Array): Promise<void> {
    const send = () => {
      this.weights.set(weights);
      this.post(WEIGHTS);
    };
    if (Atomics.load(this.control, TAKEN) === this.control[WEIGHTS]) {
      send(); // now, not after the caller's next await
      return Promise.resolve();
    }
    return this.reached(TAKEN, this.control[WEIGHTS]).then(send);
  }

  /** Counts an event of a kind (SHARDS or WEIGHTS), then the events, and wakes the replica. */
  private post(kind: number): void {
    Atomics.add(this.control, kind, 1);
    Atomics.add(this.control, POSTED, 1);
    Atomics.notify(this.control, POSTED);
  }

  /** Main thread: resolves with the loss and gradients of the shard posted last, once answered. */
  async answer(): Promise<{ loss: number; grads: (Float32Array | null)[] }> {
    await this.reached(ANSWERED, this.control[SHARDS]);
    return { loss: this.loss[0], grads: this.gradients() };
  }

  private async reached(index: number, count: number): Promise<void> {
    let now = Atomics.load(this.control, index);
    while (now < count) now = await whenChanged(this.control, index, now);
  }

  /** The answered shard's gradients, views of {@link grads} (valid until the next shard is posted); null where absent. */
  private gradients(): (Float32Array | null)[] {
    return this.sizes.tensors.map((n, j) =>
      this.present[j] ? this.grads.subarray(this.offsets[j], this.offsets[j] + n) : null,
    );
  }

  /**
   * Replica: forever, takes new weights (`take`, given {@link weights}) and computes new shards
   * (`compute`, given the features and targets of `rows` rows and the dropout seeds, returning the
   * loss and gradients, null for a weight the loss does not depend on), in the order posted.
   */
  async serve(
    take: (weights: Float32Array) => void,
    compute: (
      x: Float32Array,
      y: Float32Array,
      rows: number,
      seeds: number[],
      into: Float32Array[],
    ) => { loss: number; grads: (Float32Array | null)[] },
  ): Promise<never> {
    const c = this.control;
    // The gradients may be written straight into the shared memory (`into`), or returned elsewhere.
    const into = this.sizes.tensors.map((n, j) => this.grads.subarray(this.offsets[j], this.offsets[j] + n));
    let seen = 0;
    for (;;) {
      seen = await whenChanged(c, POSTED, seen);
      // Weights posted before a shard are seen with it: take them first.
      const weights = Atomics.load(c, WEIGHTS);
      if (weights !== Atomics.load(c, TAKEN)) {
        take(this.weights);
        Atomics.store(c, TAKEN, weights);
        Atomics.notify(c, TAKEN);
      }
      if (Atomics.load(c, SHARDS) === Atomics.load(c, ANSWERED)) continue;
      const rows = Atomics.load(c, ROWS);
      const { sizes } = this;
      const r = compute(
        this.x.subarray(0, rows * sizes.per),
        this.y.subarray(0, rows * sizes.classes),
        rows,
        Array.from(this.seeds),
        into,
      );
      this.loss[0] = r.loss;
      r.grads.forEach((g, j) => {
        this.present[j] = g ? 1 : 0;
        if (g && g !== into[j]) into[j].set(g);
      });
      Atomics.add(c, ANSWERED, 1);
      Atomics.notify(c, ANSWERED);
    }
  }
}
