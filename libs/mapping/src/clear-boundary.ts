const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The latest instant <= now at minute 0 of one of the given UTC hours (the task cache's last clear);
 * an empty list means never cleared (epoch 0).
 */
export function clearBoundary(now: Date, clearHoursUtc: number[]): Date {
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) throw new RangeError('clearBoundary: now is an invalid date');
  let latest = -Infinity;
  for (const hour of clearHoursUtc) {
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError(`clearBoundary: hour ${hour} is not an integer from 0 to 23`);
    const dayStart = Math.floor(nowMs / DAY_MS) * DAY_MS;
    let candidate = dayStart + hour * HOUR_MS;
    if (candidate > nowMs) candidate -= DAY_MS;
    if (candidate > latest) latest = candidate;
  }
  return new Date(latest === -Infinity ? 0 : latest);
}
