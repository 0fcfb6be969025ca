import SCIMMY from 'scimmy';
import { pageForListResponse } from './scim-resources';

describe('pageForListResponse', () => {
  // Exhaustive over small sizes: whatever we hand to scimmy's ListResponse must come out as the exact window.
  const cases: Array<[number, number, number]> = [];
  for (let total = 0; total <= 14; total++) {
    for (let startIndex = 1; startIndex <= 17; startIndex++) {
      for (let count = 0; count <= 15; count++) cases.push([total, startIndex, count]);
    }
  }

  it(`yields exactly records[startIndex-1, +count) through scimmy's ListResponse (${cases.length} cases)`, () => {
    for (const [total, startIndex, count] of cases) {
      const records = Array.from({ length: total }, (_, i) => ({ id: `r${i + 1}` }));
      const handed = pageForListResponse(records, startIndex, count);
      const list = new SCIMMY.Messages.ListResponse(handed as any[], { startIndex, count, totalResults: total } as any);
      const expected = records.slice(startIndex - 1, startIndex - 1 + count);
      expect({ total, startIndex, count, ids: list.Resources.map((r: any) => r.id) }).toEqual({
        total,
        startIndex,
        count,
        ids: expected.map((r) => r.id),
      });
      expect(list.totalResults).toBe(total);
      expect(handed.length).toBeLessThanOrEqual(2 * count + 1);
    }
  });

  it('hands over only the page for deep pages of a large collection', () => {
    const records = Array.from({ length: 10_000 }, (_, i) => i);
    expect(pageForListResponse(records, 9_901, 100)).toEqual(records.slice(9_900));
  });
});
