/**
 * The charts' time axis (website/src/chart-window.ts): at least the last hour, ending now, whatever the number of
 * points; labels in clock minutes on short windows, days and months on longer ones.
 */
import { describe, expect, it } from 'vitest';
import { MIN_WINDOW_SECONDS, timeLabels, timeWindow } from '../website/src/chart-window.js';

const NOW = 1_764_750_000; // a fixed instant, unix s

describe('timeWindow', () => {
  it('one point: the last hour ending now', () => {
    expect(timeWindow(NOW - 120, NOW - 120, NOW)).toEqual([NOW - MIN_WINDOW_SECONDS, NOW]);
  });

  it('no points: the last hour ending now', () => {
    expect(timeWindow(null, null, NOW)).toEqual([NOW - 3600, NOW]);
    expect(timeWindow(Infinity, -Infinity, NOW)).toEqual([NOW - 3600, NOW]);
  });

  it('a long history is shown whole, up to now', () => {
    expect(timeWindow(NOW - 86_400, NOW - 300, NOW)).toEqual([NOW - 86_400, NOW]);
  });

  it('a point ahead of the browser clock (skew) stays inside', () => {
    expect(timeWindow(NOW + 60, NOW + 60, NOW)).toEqual([NOW + 60 - 3600, NOW + 60]);
  });
});

describe('timeLabels', () => {
  const ticks = [0, 300, 600].map((s) => Date.UTC(2026, 11, 3, 9, 25) / 1000 + s);

  it('clock minutes on windows up to two days (local time, 24 h)', () => {
    const labels = timeLabels(ticks, 3600);
    for (const l of labels) expect(l).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
    const local = new Date(ticks[0]! * 1000);
    expect(labels[0]).toBe(
      `${String(local.getHours()).padStart(2, '0')}:${String(local.getMinutes()).padStart(2, '0')}`,
    );
  });

  it('days, then months with the year, on longer windows', () => {
    expect(timeLabels(ticks, 7 * 86_400)[0]).toMatch(/^\d{1,2} [A-Z][a-z]{2}$/);
    expect(timeLabels(ticks, 365 * 86_400)[0]).toMatch(/^[A-Z][a-z]{2,3} 2026$/);
  });
});
