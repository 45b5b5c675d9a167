/**
 * Node built-ins for the few browser-safe functions that also accept file paths in Node. The
 * specifier is kept out of bundlers' static analysis, so browser bundles neither include nor
 * fail on it; browsers never reach these calls.
 * @internal
 */
export async function nodeModule<T>(
  name: 'node:fs/promises' | 'node:fs' | 'node:path' | 'node:url' | 'node:worker_threads',
): Promise<T> {
  const id = name;
  return (await import(/* @vite-ignore */ id)) as T;
}

/** True in Node (and runtimes that emulate it). @internal */
export const isNode = (): boolean => typeof process !== 'undefined' && Boolean(process.versions?.node);
