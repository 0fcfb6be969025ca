import { clearBoundary } from './clear-boundary';

const at = (iso: string) => new Date(iso);

describe('clearBoundary', () => {
  it.each<[string, number[], string]>([
    ['2024-05-10T13:45:12.345Z', [0], '2024-05-10T00:00:00.000Z'],
    ['2024-05-10T13:45:00.000Z', [6, 12], '2024-05-10T12:00:00.000Z'],
    ['2024-05-10T11:59:59.999Z', [6, 12], '2024-05-10T06:00:00.000Z'],
    ['2024-05-10T05:59:59.999Z', [6, 12], '2024-05-09T12:00:00.000Z'],
    ['2024-05-10T00:30:00.000Z', [6], '2024-05-09T06:00:00.000Z'],
    ['2024-05-10T00:10:00.000Z', [23], '2024-05-09T23:00:00.000Z'],
    ['2024-05-10T23:10:00.000Z', [23], '2024-05-10T23:00:00.000Z'],
    ['2024-05-10T06:00:00.000Z', [6], '2024-05-10T06:00:00.000Z'],
    ['2024-05-10T00:00:00.000Z', [0], '2024-05-10T00:00:00.000Z'],
    ['2024-05-10T00:00:00.000Z', [6, 12, 18], '2024-05-09T18:00:00.000Z'],
    ['2024-05-10T19:00:00.000Z', [12, 6, 12, 18], '2024-05-10T18:00:00.000Z'],
    ['2024-01-01T02:00:00.000Z', [3], '2023-12-31T03:00:00.000Z'],
    ['2024-03-01T01:00:00.000Z', [5], '2024-02-29T05:00:00.000Z'],
    ['2024-05-10T13:45:00.000Z', Array.from({ length: 24 }, (_, h) => h), '2024-05-10T13:00:00.000Z'],
    ['2024-05-10T13:45:00.000Z', [], '1970-01-01T00:00:00.000Z'],
  ])('now=%s hours=%j -> %s', (now, hours, expected) => {
    const boundary = clearBoundary(at(now), hours);
    expect(boundary.toISOString()).toBe(expected);
    expect(boundary.getTime()).toBeLessThanOrEqual(at(now).getTime());
  });

  it('is not later than now and always at minute 0 of a listed hour', () => {
    for (let i = 0; i < 500; i++) {
      const now = new Date(Date.UTC(2024, 0, 1) + i * 7_919_311);
      const boundary = clearBoundary(now, [2, 14, 20]);
      expect(boundary.getTime()).toBeLessThanOrEqual(now.getTime());
      expect(now.getTime() - boundary.getTime()).toBeLessThan(24 * 3_600_000);
      expect([2, 14, 20]).toContain(boundary.getUTCHours());
      expect(boundary.getUTCMinutes() + boundary.getUTCSeconds() + boundary.getUTCMilliseconds()).toBe(0);
    }
  });

  it.each([[[24]], [[-1]], [[1.5]], [[Number.NaN]]])('rejects hours %j', (hours) => {
    expect(() => clearBoundary(new Date(), hours)).toThrow(RangeError);
  });

  it('rejects an invalid date', () => {
    expect(() => clearBoundary(new Date('nope'), [0])).toThrow(RangeError);
  });
});
