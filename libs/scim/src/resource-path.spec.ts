import { isSafeResourcePath } from './resource-path';

describe('isSafeResourcePath', () => {
  it.each(['/Users', '/Groups', '/Devices', 'Devices', '/Groups/abc-123', '/Users/.search', '/Things/a%2Fb', '/Things/..x', '/Things/x..'])(
    'accepts %s',
    (path) => expect(isSafeResourcePath(path)).toBe(true),
  );

  it.each([
    '/../../internal/admin/Users',
    '/Users/..',
    '/Users/../Groups',
    '..',
    '/./Users',
    '/%2e%2e/admin',
    '/%2E%2E/admin',
    '/.%2e/admin',
    '/%252e%252e/admin',
    '/Users/..%2F..%2Fadmin',
    '/Users/%2e%2e%5cadmin',
    '/Users\\..\\admin',
    '/Users?filter=x',
    '/Users#x',
    '/Users/%00',
    '/Users/\n',
    '/Users/%zz',
    '',
    '   ',
  ])('refuses %j', (path) => expect(isSafeResourcePath(path)).toBe(false));
});
