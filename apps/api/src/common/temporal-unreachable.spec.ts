import { ServiceError } from '@temporalio/client';
import { isTemporalUnreachable } from './temporal-unreachable';

/** What @grpc/grpc-js rejects with: an Error carrying code, details and metadata. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

describe('isTemporalUnreachable', () => {
  it('recognises UNAVAILABLE and DEADLINE_EXCEEDED, bare or wrapped by the client', () => {
    expect(isTemporalUnreachable(grpcError(14, 'No connection established'))).toBe(true);
    expect(isTemporalUnreachable(new ServiceError('Failed to start Workflow', { cause: grpcError(14, 'connect ECONNREFUSED') }))).toBe(true);
    expect(isTemporalUnreachable(new ServiceError('describe failed', { cause: grpcError(4, 'Deadline exceeded') }))).toBe(true);
  });

  it('leaves refusals and other errors alone', () => {
    expect(isTemporalUnreachable(new ServiceError('no namespace', { cause: grpcError(5, 'namespace not found') }))).toBe(false);
    expect(isTemporalUnreachable(grpcError(3, 'invalid argument'))).toBe(false);
    expect(isTemporalUnreachable(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isTemporalUnreachable(undefined)).toBe(false);
  });
});
