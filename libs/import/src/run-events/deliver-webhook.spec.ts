import { Webhook } from 'standardwebhooks';
import { webhookRetrySchedule } from '@app/temporal';
import { nextRetryDelayMs, signedHeaders } from './deliver-webhook';

describe('webhook delivery', () => {
  it('signs per Standard Webhooks: a receiver verifies with the secret and the event id', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const body = JSON.stringify({ type: 'run.succeeded', timestamp: new Date().toISOString(), data: { runId: 'r' } });
    const headers = signedHeaders(secret, 'evt-1', new Date(), body);
    expect(headers['webhook-id']).toBe('evt-1');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(`whsec_${Buffer.from('another key of thirty-two bytes!').toString('base64')}`).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  it('retries with a doubling wait, at most an hour apart, for at least 24 hours', () => {
    const retry = webhookRetrySchedule(5_000);
    const start = 0;
    let now = start;
    let attempt = 1;
    const delays: number[] = [];
    for (;;) {
      const delay = nextRetryDelayMs(retry, { number: attempt, firstScheduledAtMs: start }, now);
      if (delay === undefined) break;
      delays.push(delay);
      now += delay;
      attempt++;
    }
    expect(delays.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(Math.max(...delays)).toBe(3_600_000);
    // the last attempt starts after 24 h and inside the 25 h window
    expect(now).toBeGreaterThan(24 * 3_600_000);
    expect(now).toBeLessThan(25 * 3_600_000);
  });
});
