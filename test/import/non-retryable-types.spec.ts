import { NON_RETRYABLE_SCIM_ERROR_TYPES } from '@app/scim';
import { NON_RETRYABLE_IMPORT_ERROR_TYPES, decideMode, failureText, secretRedactor } from '@app/import';
import { msToNumber } from '@temporalio/common/lib/time';
import { WORKFLOW_RUN_TIMEOUT } from '@app/temporal';
import { WORKFLOW_RUN_TIMEOUT_MS } from '../../libs/import/src/run-config/tuning';
import { NON_RETRYABLE_ERROR_TYPES } from '../../workflows/import-task.workflow';

describe('import workflow contracts', () => {
  it('the workflow lists exactly the SCIM and engine non-retryable failure types', () => {
    expect([...NON_RETRYABLE_ERROR_TYPES].sort()).toEqual([...NON_RETRYABLE_SCIM_ERROR_TYPES, ...NON_RETRYABLE_IMPORT_ERROR_TYPES].sort());
  });

  it('libs/import mirrors the workflow run timeout of libs/temporal', () => {
    expect(WORKFLOW_RUN_TIMEOUT_MS).toBe(msToNumber(WORKFLOW_RUN_TIMEOUT));
  });

  it('reads everything on full tasks and on the first incremental run', () => {
    expect(decideMode('full', 'incremental', new Date())).toBe('full');
    expect(decideMode('incremental', undefined, null)).toBe('full');
    expect(decideMode('incremental', 'full', new Date())).toBe('full');
    expect(decideMode('incremental', undefined, new Date())).toBe('incremental');
  });

  it('failure text names type, message, run and time, and secrets never survive redaction', () => {
    const redact = secretRedactor(['s3cr3t-pass', 'ab']);
    const text = failureText({ type: 'ScimAuthError', message: redact('login https://u:s3cr3t-pass@h/x failed with s3cr3t-pass') }, 'run-1', new Date('2026-01-02T03:04:05Z'));
    expect(text).toBe('ScimAuthError: login https://h/x failed with *** (run run-1, 2026-01-02T03:04:05.000Z)');
  });
});
