import { canonicalRunId, runIdOfPartition, stagingPartitionName } from './staging-partition';

describe('staging partition names', () => {
  it('are the hex digits of the run id, lower case, and give the run id back', () => {
    const id = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
    expect(stagingPartitionName(id)).toBe('staging_run_3f2504e04f8941d39a0c0305e82c3301');
    expect(runIdOfPartition(stagingPartitionName(id))).toBe(canonicalRunId(id));
  });

  it('refuse anything that is not a uuid, so nothing else reaches DDL', () => {
    for (const bad of ['', 'x', "00000000-0000-0000-0000-000000000000'; DROP TABLE run; --", '00000000-0000-0000-0000-00000000000', ' 00000000-0000-0000-0000-000000000000', '00000000000000000000000000000000']) {
      expect(() => stagingPartitionName(bad)).toThrow(/not a run id/);
    }
    expect(() => stagingPartitionName(undefined as unknown as string)).toThrow(/not a run id/);
  });
});
