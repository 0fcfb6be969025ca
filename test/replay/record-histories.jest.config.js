/**
 * Jest configuration of the history recorder (test/replay/record-histories.ts): the suite's
 * global setup (embedded PostgreSQL, Temporal dev server) and TypeScript transform, one file,
 * one worker. `npm run record:histories`; never part of `npm test`.
 */
const { resolve } = require('node:path');
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: resolve(__dirname, '..', '..'),
  roots: ['<rootDir>/test/replay'],
  testMatch: ['<rootDir>/test/replay/record-histories.ts'],
  // the recorder installs its own, quieter, Temporal logger
  setupFiles: [],
  reporters: ['default'],
  maxWorkers: 1,
  testTimeout: 240000,
};
