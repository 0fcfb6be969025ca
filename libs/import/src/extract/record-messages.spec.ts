import { duplicateUniqueMessage, listingRejectionMessage } from './record-messages';

describe('per-record messages shared by runs and previews', () => {
  it('say what diff and the listing record (diff builds the same duplicate text in SQL; test/import pins it)', () => {
    expect(duplicateUniqueMessage('shared-value', 'a1')).toBe('duplicate unique value shared-value (also source id a1)');
    expect(listingRejectionMessage('record has no id', '{"userName":"x"}')).toBe('rejected by the listing: record has no id {"userName":"x"}');
  });
});
