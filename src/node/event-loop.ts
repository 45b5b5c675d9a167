/**
 * Runs `work` with a timer holding Node's event loop open until it settles. @internal
 *
 * Why: while a promise waits on work that V8 does on its own threads (WebAssembly compilation,
 * as audio-decode's decoders and the wasm backend do when they start), Node's event loop may have
 * nothing left of its own. Node then waits for V8's background tasks (`NodePlatform::DrainTasks`),
 * and if one of them, an optimising compile, needs a garbage collection, it waits for this thread,
 * which waits for it: the process hangs for good with no CPU used (seen in `gdb` when decoding
 * batches of mp3 files: about one run in 15 of 150 files). With a timer pending, the loop keeps
 * running and the collection happens.
 */
export async function withLoopAlive<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
