import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { UpdateConnectorDto } from './connector.dto';

const MiB = 1024 * 1024;

/** maxResponseBytes is bounded by what a worker of the documented heap (WORKER_HEAP_MB) can hold. */
describe('connector maxResponseBytes', () => {
  const errorsFor = async (value: unknown) => (await validate(plainToInstance(UpdateConnectorDto, { maxResponseBytes: value }))).filter((e) => e.property === 'maxResponseBytes');

  it('accepts the default and the bound (64 MiB at 384 MB)', async () => {
    expect(await errorsFor(32 * MiB)).toEqual([]);
    expect(await errorsFor(64 * MiB)).toEqual([]);
  });

  it('refuses more than the documented worker heap holds, naming the field, the bound and what to do', async () => {
    const [error] = await errorsFor(128 * MiB);
    expect(error?.property).toBe('maxResponseBytes');
    expect(Object.values(error?.constraints ?? {}).join(' ')).toMatch(
      /maxResponseBytes must not be greater than 67108864 \(64 MiB\): a worker with the documented 384 MB heap cannot parse and stage a larger page/,
    );
  });
});
