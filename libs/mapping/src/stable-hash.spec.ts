import { createHash } from 'node:crypto';
import { canonicalJson, stableHash } from './stable-hash';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('canonicalJson', () => {
  it.each<[unknown, string]>([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: { y: 1, x: [3, { d: 1, c: 2 }] }, a: null }, '{"a":null,"z":{"x":[3,{"c":2,"d":1}],"y":1}}'],
    [[3, 1, 2], '[3,1,2]'],
    [{ a: undefined, b: 1 }, '{"b":1}'],
    [[undefined, () => 1], '[null,null]'],
    [{ s: 'quote " backslash \\ é \n' }, '{"s":"quote \\" backslash \\\\ é \\n"}'],
    [NaN, 'null'],
    [Infinity, 'null'],
    [-0, '0'],
    [new Date('2024-01-02T03:04:05Z'), '"2024-01-02T03:04:05.000Z"'],
    [10n, '"10"'],
    ['text', '"text"'],
    [true, 'true'],
    [undefined, 'null'],
  ])('%p -> %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('agrees with JSON.stringify for key-sorted input', () => {
    const value = { a: [1, 'two', { b: false, c: null }], d: { e: 1.5e-7, f: 'ü' } };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });
});

describe('stableHash', () => {
  it('is sha256 hex of the canonical JSON', () => {
    expect(stableHash({ b: 1, a: 'x' })).toBe(sha256('{"a":"x","b":1}'));
    expect(stableHash({})).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order at any depth', () => {
    const a = { uniqueValue: 'u1', attributes: { mail: 'm', groups: ['g1', 'g2'], nested: { x: 1, y: 2 } } };
    const b = { attributes: { nested: { y: 2, x: 1 }, groups: ['g1', 'g2'], mail: 'm' }, uniqueValue: 'u1' };
    expect(stableHash(a)).toBe(stableHash(b));
  });

  it.each<[unknown, unknown]>([
    [['g1', 'g2'], ['g2', 'g1']],
    [{ a: 1 }, { a: '1' }],
    [{ a: null }, {}],
    [{ a: '' }, { a: null }],
    [{ a: true }, { a: 'true' }],
  ])('distinguishes %j from %j', (x, y) => {
    expect(stableHash(x)).not.toBe(stableHash(y));
  });

  it('treats an undefined member like a missing one', () => {
    expect(stableHash({ a: 1, b: undefined })).toBe(stableHash({ a: 1 }));
  });
});
