import { compileRecordMapping } from '../libs/mapping/src/record-mapping';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const targets = [{ code: 'login', type: 'string' }, { code: 'mail', type: 'string' }, { code: 'firstName', type: 'string' }, { code: 'employeeNo', type: 'number' }, { code: 'enabled', type: 'boolean' }, { code: 'modified', type: 'datetime' }, { code: 'groupNames', type: 'string', multiple: true }] as never;
const user = { id: '2819c223', userName: 'bjensen', name: { givenName: '  Barbara ', familyName: 'Jensen' }, active: 'True', emails: [{ value: 'BJensen@Example.com', type: 'work', primary: true }, { value: 'babs@home.example.org', type: 'home' }], groups: [{ value: 'g1', display: 'Tour Guides' }, { value: 'g2', display: 'Employees' }], meta: { lastModified: '2024-05-01T12:00:00+02:00' }, [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations' } };
const mapper = compileRecordMapping({ unique: { external: 'userName', local: 'login' }, attributes: [
  { external: 'emails[type eq "work"].value', local: 'mail', transforms: [{ op: 'lower' }] }, { external: 'name.givenName', local: 'firstName' },
  { external: `${ENTERPRISE}:employeeNumber`, local: 'employeeNo' }, { external: 'active', local: 'enabled' }, { external: 'meta.lastModified', local: 'modified' }, { external: 'groups.display', local: 'groupNames' }] }, targets);
const records = Array.from({ length: 50_000 }, (_, i) => ({ ...user, userName: `user${i}` }));
const best: number[] = [];
for (let round = 0; round < 5; round++) {
  const c = process.cpuUsage();
  for (const r of records) mapper.map(r);
  best.push(process.cpuUsage(c).user / 1000);
}
console.log('map 50k cpu ms min', Math.min(...best).toFixed(0));
