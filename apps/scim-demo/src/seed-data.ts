import { ENTERPRISE_USER_SCHEMA, type ScimDemoSeed } from './demo-types';
import type { DemoStore, Json, RecordStamps } from './demo-store';

const GIVEN = [
  'Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger',
  'Radia', 'Tim', 'Hedy', 'Donald', 'Katherine', 'John', 'Sophie', 'Niklaus', 'Joan', 'Guido',
  'Shafi', 'Bjarne', 'Anita', 'Vint', 'Mary', 'Leslie', 'Fei-Fei', 'Yukihiro', 'Carla', 'Rasmus',
  'Amélie', 'José', 'Zoë', 'Søren', 'Nuño', 'Björn', 'Łucja', 'Chloé', "O'Neil", 'Mei',
];
const FAMILY = [
  'Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Allen', 'Dijkstra',
  'Perlman', 'Berners-Lee', 'Lamarr', 'Knuth', 'Johnson', 'McCarthy', 'Wilson', 'Wirth', 'Clarke', 'van Rossum',
  'Goldwasser', 'Stroustrup', 'Borg', 'Cerf', 'Jackson', 'Lamport', 'Li', 'Matsumoto', 'Meyer', 'Lerdorf',
  'Müller', 'García', 'Nowak', 'Øster', "D'Angelo", 'Okafor', 'Nakamura', 'Dubois', 'Rossi', 'Kowalski',
];
const DEPARTMENTS = [
  { name: 'Engineering', code: 'ENG' }, { name: 'Sales', code: 'SAL' }, { name: 'Marketing', code: 'MKT' },
  { name: 'Finance', code: 'FIN' }, { name: 'Human Resources', code: 'HR' }, { name: 'Customer Support', code: 'SUP' },
  { name: 'Legal', code: 'LEG' }, { name: 'Operations', code: 'OPS' },
];
const TITLES = ['Engineer', 'Senior Engineer', 'Analyst', 'Account Executive', 'Manager', 'Director', 'Specialist', 'Coordinator', 'Consultant'];
const GROUP_NAMES = [
  'All Staff', 'VPN Users', 'GitHub Admins', 'Finance Approvers', 'Sales EMEA', 'Sales Americas', 'Support Tier 1',
  'Support Tier 2', 'Payroll Readers', 'Jira Administrators', 'AWS Production', 'AWS Sandbox', 'Office London',
  'Office New York', 'Legal Hold', 'Marketing Content', 'HR Business Partners', 'Security Champions',
];
const MODELS = [
  { model: 'ThinkPad X1 Carbon Gen 11', manufacturer: 'Lenovo', platform: 'Windows', prefix: 'PF' },
  { model: 'MacBook Pro 14 M3', manufacturer: 'Apple', platform: 'macOS', prefix: 'C02' },
  { model: 'Latitude 7440', manufacturer: 'Dell', platform: 'Windows', prefix: 'DL' },
  { model: 'iPhone 15', manufacturer: 'Apple', platform: 'iOS', prefix: 'F2L' },
  { model: 'Pixel 8', manufacturer: 'Google', platform: 'Android', prefix: 'GP' },
];
/** Sample data is dated before any real run so that live admin changes are always "newer". */
const SEED_EPOCH = Date.UTC(2025, 0, 1);

/** Loads deterministic sample users, groups and devices into the store (same input, same data and ids). */
export function seedStore(store: DemoStore, seed: ScimDemoSeed): void {
  const stamps = seedClock();
  const userIds: string[] = [];
  const userNames: string[] = [];
  const taken = new Set<string>();

  for (let i = 0; i < seed.users; i++) {
    const given = GIVEN[i % GIVEN.length];
    const family = FAMILY[(i * 7 + Math.floor(i / GIVEN.length)) % FAMILY.length];
    const base = `${ascii(given)}.${ascii(family)}`;
    let userName = `${base}@example.com`;
    for (let n = 2; taken.has(userName); n++) userName = `${base}${n}@example.com`;
    taken.add(userName);
    const department = DEPARTMENTS[i % DEPARTMENTS.length];
    // A manager tree: each manager has about eight reports, the first user has none.
    const managerIndex = i === 0 ? undefined : Math.floor((i - 1) / 8);
    const displayName = `${given} ${family}`;
    const user: Json = {
      userName,
      externalId: `EXT-${String(i + 1).padStart(6, '0')}`,
      name: { givenName: given, familyName: family, formatted: displayName },
      displayName,
      title: TITLES[(i * 5) % TITLES.length],
      active: i % 17 !== 16,
      emails: [
        { value: userName, type: 'work', primary: true },
        { value: `${base}.${i + 1}@mail.example.net`, type: 'home', primary: false },
      ],
      phoneNumbers: [
        { value: `+1 555 ${String(100 + (i % 900)).padStart(3, '0')} ${String(1000 + ((i * 37) % 9000))}`, type: 'work', primary: true },
        ...(i % 3 === 0 ? [{ value: `+44 7700 ${String(900000 + i).slice(-6)}`, type: 'mobile' }] : []),
      ],
      [ENTERPRISE_USER_SCHEMA]: {
        employeeNumber: String(100000 + i + 1),
        costCenter: `CC-${department.code}-${100 + (i % 4) * 10}`,
        organization: 'Example Corp',
        division: i % 2 === 0 ? 'Global' : 'Regional',
        department: department.name,
        ...(managerIndex !== undefined
          ? { manager: { value: userIds[managerIndex], displayName: userNames[managerIndex] } }
          : {}),
      },
    };
    userIds.push(store.create('User', user, stamps(i)).data.id as string);
    userNames.push(displayName);
  }

  const groupCount = seed.groups;
  const perUser = Math.min(seed.membersPerUser ?? 2, groupCount);
  const members: string[][] = Array.from({ length: groupCount }, () => []);
  for (let i = 0; i < userIds.length && groupCount > 0; i++) {
    // Consecutive groups from a per-user offset: distinct within a user, evenly spread over groups.
    for (let j = 0; j < perUser; j++) members[(i + j) % groupCount].push(userIds[i]);
  }
  for (let g = 0; g < groupCount; g++) {
    const name = GROUP_NAMES[g % GROUP_NAMES.length];
    const round = Math.floor(g / GROUP_NAMES.length);
    const displayName = round === 0 ? name : `${name} ${round + 1}`;
    store.create('Group', { displayName, externalId: `GRP-${g + 1}`, members: members[g].map((value) => ({ value })) }, stamps(seed.users + g));
  }

  for (let d = 0; d < (seed.devices ?? 0); d++) {
    const spec = MODELS[d % MODELS.length];
    const ownerIndex = userIds.length ? (d * 3) % userIds.length : -1;
    const device: Json = {
      serialNumber: `${spec.prefix}${String(7300000 + d * 7919).padStart(8, '0')}`,
      displayName: `${spec.platform === 'iOS' || spec.platform === 'Android' ? 'PHONE' : 'LAPTOP'}-${String(d + 1).padStart(5, '0')}`,
      model: spec.model,
      manufacturer: spec.manufacturer,
      platform: spec.platform,
      status: d % 23 === 22 ? 'retired' : 'active',
      ...(ownerIndex >= 0 ? { owner: { value: userIds[ownerIndex], display: userNames[ownerIndex] } } : {}),
    };
    store.create('Device', device, stamps(seed.users + groupCount + d));
  }
}

function seedClock(): (sequence: number) => RecordStamps {
  return (sequence) => {
    const created = SEED_EPOCH + sequence * 60_000;
    // Some records were edited after creation, so lastModified differs from created for a subset.
    const lastModified = created + (sequence % 4) * 3_600_000;
    return { created: new Date(created).toISOString(), lastModified: new Date(lastModified).toISOString() };
  };
}

/** userName-safe form of a name: accents stripped, only letters, digits and hyphens kept. */
function ascii(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/gi, 'l')
    .replace(/ø/gi, 'o')
    .replace(/[^A-Za-z0-9-]/g, '')
    .toLowerCase();
}
