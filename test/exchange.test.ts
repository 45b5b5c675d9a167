import { describe, expect, it } from 'vitest';
import { Exchange, type ExchangeSizes } from '../src/model/exchange.js';

// The shared memory between fit's main thread and a data-parallel replica. Both sides run here in
// one thread (the replica's loop is asynchronous); the worker_threads path itself is exercised by
// the data-parallel fits in training-extras.test.ts.
const sizes: ExchangeSizes = { rows: 3, per: 4, classes: 2, seeds: 2, tensors: [5, 3, 2] };
const ramp = (n: number, from: number) => Float32Array.from({ length: n }, (_, i) => from + i);

describe('Exchange', () => {
  it('lays out regions that do not overlap, in a buffer of no more than the size it states', () => {
    const e = new Exchange(sizes);
    // The size it states is all it needs: 8 bytes fewer cannot hold the last region.
    expect(() => new Exchange(sizes, new SharedArrayBuffer(Exchange.bytes(sizes) - 8))).toThrow(RangeError);
    const views = [e.control, e.present, e.seeds, e.loss, e.x, e.y, e.grads, e.weights];
    expect(views.map((v) => v.length)).toEqual([8, 3, 2, 1, 12, 6, 10, 10]);
    views.forEach((v, i) => v.fill(i + 1));
    views.forEach((v, i) => expect(Array.from(v).every((q) => q === i + 1)).toBe(true));
    // A second view on the same buffer sees the same memory.
    expect(Array.from(new Exchange(sizes, e.buffer).weights)).toEqual(Array.from(e.weights));
  });

  it('takes the weights posted before a shard, then answers it with its loss and gradients', async () => {
    const e = new Exchange(sizes);
    const seen: string[] = [];
    let weightsNow: number[] = [];
    void new Exchange(sizes, e.buffer).serve(
      (w) => {
        weightsNow = Array.from(w);
        seen.push(`weights ${w[0]}`);
      },
      (x, y, rows, seeds, into) => {
        seen.push(`shard of ${rows} rows with weights ${weightsNow[0]}`);
        expect(Array.from(x)).toEqual(Array.from(ramp(rows * 4, 100)));
        expect(Array.from(y)).toEqual(Array.from(ramp(rows * 2, 200)));
        expect(seeds).toEqual([7, 9]);
        into[0].set(ramp(5, weightsNow[0]));
        // The second tensor's gradient comes back from an array of its own; the third has none.
        return { loss: 0.25 * rows, grads: [into[0], ramp(3, -1), null] };
      },
    );
    await e.postWeights(ramp(10, 1));
    e.postShard(ramp(8, 100), ramp(4, 200), 2, [7, 9]);
    const first = await e.answer();
    expect(first.loss).toBe(0.5);
    expect(first.grads.map((g) => (g ? Array.from(g) : null))).toEqual([[1, 2, 3, 4, 5], [-1, 0, 1], null]);
    // Two steps' weights without a shard between them (a replica with no rows in a small batch):
    // the second waits for the first to be taken; the shard after them sees the last.
    await e.postWeights(ramp(10, 10));
    await e.postWeights(ramp(10, 20));
    e.postShard(ramp(12, 100), ramp(6, 200), 3, [7, 9]);
    const second = await e.answer();
    expect(second.loss).toBe(0.75);
    expect(Array.from(second.grads[0] as Float32Array)).toEqual([20, 21, 22, 23, 24]);
    expect(seen).toEqual([
      'weights 1',
      'shard of 2 rows with weights 1',
      'weights 10',
      'weights 20',
      'shard of 3 rows with weights 20',
    ]);
  });

  it('refuses a shard larger than its room', () => {
    const e = new Exchange(sizes);
    expect(() => e.postShard(ramp(16, 0), ramp(8, 0), 4, [1, 2])).toThrow(/4 rows, with room for 3/);
  });
});
