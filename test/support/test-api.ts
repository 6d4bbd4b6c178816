// The test API of suites that run under jest and under node's test runner alike. The ROS 2 tier runs
// under `node --test`: jest 29 cannot load rclnodejs 2.x (an ES-module package whose .cjs files require
// its ES modules), plain Node 20.20 can. Under jest the globals are jest's; elsewhere node:test's, with
// jest's standalone `expect`, so a shared suite's assertions are the same in both.
import type * as NodeTest from 'node:test';

/* eslint-disable @typescript-eslint/no-require-imports -- picked at run time, by the runner that loads us */
type TestApi = {
  describe: jest.Describe;
  it: jest.It;
  beforeAll: jest.Lifecycle;
  afterAll: jest.Lifecycle;
  afterEach: jest.Lifecycle;
  expect: jest.Expect;
};

function nodeTestApi(): TestApi {
  const t = require('node:test') as typeof NodeTest;
  const { expect } = require('expect') as { expect: jest.Expect };
  return {
    describe: t.describe as unknown as jest.Describe,
    it: t.it as unknown as jest.It,
    beforeAll: t.before as unknown as jest.Lifecycle,
    afterAll: t.after as unknown as jest.Lifecycle,
    afterEach: t.afterEach as unknown as jest.Lifecycle,
    expect,
  };
}

const g = globalThis as unknown as Partial<TestApi>;
/** True under jest (its globals are installed before a test file is loaded). */
export const underJest = typeof g.describe === 'function' && typeof g.expect === 'function';

const api: TestApi = underJest ? (g as TestApi) : nodeTestApi();
export const { describe, it, beforeAll, afterAll, afterEach, expect } = api;
