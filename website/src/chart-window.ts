/**
 * The x (time) axis of the charts: which window they show and how its ticks are labelled. Pure, so it is unit
 * tested in Node (chart.ts wires it into uPlot).
 *
 * Window: the data's span, widened to at least MIN_WINDOW_SECONDS and ending no earlier than now, so a new pool's
 * single point sits at the right edge of the last hour instead of in a range uPlot pads out to years.
 * Labels: chosen by the window's span: clock time (HH:MM) up to two days, day and month up to ~two months, month
 * and year beyond. Local time zone, 24-hour clock.
 *
 * Data model: times are unix seconds, as in ChartSeries (model.ts).
 */

/** The shortest window a chart shows (s): with few points, the last hour. */
export const MIN_WINDOW_SECONDS = 3600;

/** [start, end] in unix s for data spanning [min, max] (null when there is none), seen at `nowSec`. */
export function timeWindow(
  min: number | null,
  max: number | null,
  nowSec: number,
  minSpan = MIN_WINDOW_SECONDS,
): [number, number] {
  const hi = max !== null && Number.isFinite(max) ? max : nowSec;
  const end = Math.max(hi, nowSec);
  const start = Math.min(min !== null && Number.isFinite(min) ? min : end, end - minSpan);
  return [start, end];
}

const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });
const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric' });

/** Tick labels for ticks at `ticks` (unix s) on a window `span` seconds wide. */
export function timeLabels(ticks: readonly number[], span: number): string[] {
  const f = span <= 2 * 86_400 ? CLOCK : span <= 62 * 86_400 ? DAY : MONTH;
  return ticks.map((t) => f.format(new Date(t * 1000)));
}
