import type { ScimDemoServerOptions, ScimQuirks } from './demo-types';

export interface CliOptions {
  port: number;
  host: string;
  users: number;
  groups: number;
  devices: number;
  membersPerUser: number;
  username: string;
  password: string;
  token?: string;
  quirks: ScimQuirks;
}

export const CLI_USAGE = `Usage: scim-demo [--port N] [--host H] [--users N] [--groups N] [--devices N] [--members-per-user N]
                 [--username U] [--password P] [--token T] [--quirks '{"maxCount":50}']`;

const DEFAULTS: CliOptions = {
  port: 8080,
  host: '127.0.0.1',
  users: 500,
  groups: 20,
  devices: 100,
  membersPerUser: 2,
  username: 'scim',
  password: 'scim-demo',
  quirks: {},
};

/** Parses `--flag value` / `--flag=value` arguments; throws with a usage hint on anything unknown or malformed. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { ...DEFAULTS, quirks: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}"\n${CLI_USAGE}`);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new Error(`Missing value for --${flag}\n${CLI_USAGE}`);
    switch (flag) {
      case 'port':
        options.port = integer(flag, value, 0, 65535);
        break;
      case 'host':
        options.host = value;
        break;
      case 'users':
      case 'groups':
      case 'devices':
        options[flag] = integer(flag, value, 0, 10_000_000);
        break;
      case 'members-per-user':
        options.membersPerUser = integer(flag, value, 0, 1000);
        break;
      case 'username':
      case 'password':
      case 'token':
        options[flag] = value;
        break;
      case 'quirks':
        options.quirks = parseQuirks(value);
        break;
      default:
        throw new Error(`Unknown option --${flag}\n${CLI_USAGE}`);
    }
  }
  return options;
}

/** The server options the CLI flags stand for. */
export function toServerOptions(cli: CliOptions): ScimDemoServerOptions {
  return {
    port: cli.port,
    host: cli.host,
    auth: { basic: { username: cli.username, password: cli.password }, ...(cli.token ? { bearer: cli.token } : {}) },
    seed: { users: cli.users, groups: cli.groups, devices: cli.devices, membersPerUser: cli.membersPerUser },
    quirks: cli.quirks,
  };
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new Error(`--${flag} expects an integer between ${min} and ${max}, got "${value}"`);
  return n;
}

function parseQuirks(value: string): ScimQuirks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`--quirks expects a JSON object, got "${value}"`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('--quirks expects a JSON object');
  return parsed as ScimQuirks;
}
