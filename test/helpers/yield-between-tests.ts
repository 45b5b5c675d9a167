// Setup file (vitest.config.ts): before each test, let the worker's event loop turn once.
//
// A test worker must answer vitest's RPC (its progress reports) within 60 s. Synchronous tests run
// back to back without the event loop turning in between, so their times add up: a run of quick
// synchronous tests can keep the worker from the reply for longer than one of them takes, and the
// run then fails on "[vitest-worker]: Timeout calling "onTaskUpdate"" although every test passed (as
// a CI run did). One timer tick between tests bounds that to the longest single test. A test that
// itself works synchronously for most of a minute should spawn asynchronously or await now and then.
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((turned) => setTimeout(turned, 0)));
