import { summaryAttributesOf } from './candidate-summary';

describe('summaryAttributesOf', () => {
  it('prefers the login, then an email, then a name, each in mapping order; a group by its display name', () => {
    expect(
      summaryAttributesOf({
        identity: {
          attributes: [
            { external: 'name.givenName', local: 'firstName' },
            { external: 'urn:ietf:params:scim:schemas:core:2.0:User:name.formatted', local: 'fullName' },
            { external: 'emails[type eq "work"].value', local: 'email' },
            { external: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', local: 'department' },
            { external: 'UserName', local: 'login' },
            { constant: 'x', local: 'source' },
          ],
        },
        access: { attributes: [{ external: 'externalId', local: 'ext' }, { external: 'displayName', local: 'name' }] },
      }),
    ).toEqual({ identity: ['login', 'email', 'fullName', 'firstName'], access: ['name'] });
  });

  it('gives nothing for a mapping without such attributes, or no configuration', () => {
    expect(summaryAttributesOf({ generic: { attributes: [{ external: 'serialNumber', local: 'serial' }] }, identity: null })).toEqual({});
    expect(summaryAttributesOf(null)).toEqual({});
    expect(summaryAttributesOf({ identity: { attributes: 'nope' } })).toEqual({});
  });
});
