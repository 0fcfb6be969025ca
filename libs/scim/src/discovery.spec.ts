import { parseResourceTypes, parseSchemas, parseServiceProviderConfig } from './discovery';
import { ScimProtocolError } from './errors';

const ctx = { method: 'GET', url: 'https://x/ServiceProviderConfig', status: 200 };

describe('parseServiceProviderConfig', () => {
  it('reads an RFC 7644 config, defaulting to index paging', () => {
    const spc = parseServiceProviderConfig(
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        filter: { supported: true, maxResults: 200 },
        sort: { supported: false },
        etag: { supported: true },
      },
      ctx,
    );
    expect(spc).toEqual({
      filter: true,
      sort: false,
      etag: true,
      patch: true,
      maxResults: 200,
      cursorPagination: false,
      indexPagination: true,
    });
  });

  it('reads RFC 9865 pagination with odd casing and strings', () => {
    const spc = parseServiceProviderConfig(
      {
        Filter: { Supported: 'true' },
        Pagination: { Cursor: 'true', Index: false, DefaultPaginationMethod: 'Cursor', MaxPageSize: '500', CursorTimeout: 600 },
      },
      ctx,
    );
    expect(spc).toMatchObject({
      filter: true,
      cursorPagination: true,
      indexPagination: false,
      defaultPaginationMethod: 'cursor',
      maxPageSize: 500,
      cursorTimeoutSeconds: 600,
    });
  });

  it('unwraps the ListResponse some /ServiceProviderConfigs endpoints send', () => {
    const spc = parseServiceProviderConfig({ totalResults: 1, Resources: [{ filter: { supported: true } }] }, ctx);
    expect(spc.filter).toBe(true);
  });

  it('refuses JSON that is not a config', () => {
    expect(() => parseServiceProviderConfig({ hello: 'world' }, ctx)).toThrow(ScimProtocolError);
    expect(() => parseServiceProviderConfig('text', ctx)).toThrow(ScimProtocolError);
  });
});

describe('parseResourceTypes', () => {
  it('accepts a ListResponse, a bare array or one object', () => {
    const rt = {
      name: 'User',
      endpoint: '/Users',
      schema: 'urn:ietf:params:scim:schemas:core:2.0:User',
      schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: 'false' }],
    };
    const expected = [{ ...rt, schemaExtensions: [{ schema: rt.schemaExtensions[0].schema, required: false }] }];
    expect(parseResourceTypes({ totalResults: 1, Resources: [rt] })).toEqual(expected);
    expect(parseResourceTypes([rt])).toEqual(expected);
    expect(parseResourceTypes(rt)).toEqual(expected);
  });

  it('adds the leading slash and skips entries without an endpoint', () => {
    expect(parseResourceTypes([{ name: 'Device', endpoint: 'Devices', schema: 's' }, { name: 'Broken' }])).toEqual([
      { name: 'Device', endpoint: '/Devices', schema: 's', schemaExtensions: [] },
    ]);
  });
});

describe('parseSchemas', () => {
  it('keeps the attribute hints a mapping needs', () => {
    const schemas = parseSchemas({
      Resources: [
        {
          id: 'urn:ietf:params:scim:schemas:core:2.0:User',
          name: 'User',
          attributes: [
            { name: 'userName', type: 'string', multiValued: false, caseExact: false, returned: 'default' },
            { name: 'emails', type: 'complex', multiValued: true, subAttributes: [{ name: 'value', type: 'string' }] },
          ],
        },
      ],
    });
    expect(schemas).toEqual([
      {
        id: 'urn:ietf:params:scim:schemas:core:2.0:User',
        name: 'User',
        attributes: [
          { name: 'userName', type: 'string', multiValued: false, caseExact: false, returned: 'default' },
          { name: 'emails', type: 'complex', multiValued: true, subAttributes: [{ name: 'value', type: 'string' }] },
        ],
      },
    ]);
  });
});
