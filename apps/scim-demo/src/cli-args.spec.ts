import { parseCliArgs, toServerOptions } from './cli-args';

describe('parseCliArgs', () => {
  it('uses demo defaults without arguments', () => {
    expect(parseCliArgs([])).toMatchObject({ port: 8080, host: '127.0.0.1', users: 500, groups: 20, username: 'scim', password: 'scim-demo' });
  });

  it.each([
    [['--port', '9000', '--users', '10000', '--groups', '50'], { port: 9000, users: 10000, groups: 50 }],
    [['--port=0', '--username=admin', '--password=p@ss word'], { port: 0, username: 'admin', password: 'p@ss word' }],
    [['--token', 'abc', '--devices', '0', '--members-per-user', '3'], { token: 'abc', devices: 0, membersPerUser: 3 }],
    [['--quirks', '{"maxCount":50,"cursorOnly":true}'], { quirks: { maxCount: 50, cursorOnly: true } }],
  ])('parses %j', (argv, expected) => {
    expect(parseCliArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [['--port', 'abc'], /--port expects an integer/],
    [['--port', '70000'], /--port expects an integer/],
    [['--users'], /Missing value for --users/],
    [['--colour', 'red'], /Unknown option --colour/],
    [['users'], /Unexpected argument "users"/],
    [['--quirks', '[1]'], /JSON object/],
    [['--quirks', '{oops'], /JSON object/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it('maps flags onto server options', () => {
    const options = toServerOptions(parseCliArgs(['--users', '3', '--groups', '1', '--token', 't', '--password', 'pw']));
    expect(options).toEqual({
      port: 8080,
      host: '127.0.0.1',
      auth: { basic: { username: 'scim', password: 'pw' }, bearer: 't' },
      seed: { users: 3, groups: 1, devices: 100, membersPerUser: 2 },
      quirks: {},
    });
  });
});
