/** Tests are transpiled file by file (ts-jest, no type checking: fast); `npm run typecheck` checks types. */
module.exports = {
  testEnvironment: '<rootDir>/test/environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/ros is the ROS 2 tier, run by Node's test runner (scripts/test-ros.sh): jest cannot load rclnodejs 2.x.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/ros/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }],
  },
  testTimeout: 30000,
};
