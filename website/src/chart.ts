/**
 * Time-series charts on uPlot (about 50 kB, canvas, no dependencies). One line per chart, sized to its container
 * (ResizeObserver), coloured from the theme's CSS variables and redrawn when the theme changes.
 *
 * The x window and tick labels come from chart-window.ts (at least the last hour, ending now; HH:MM labels on short
 * windows). The labels last drawn are kept on the figure as `data-x-labels` ("|"-separated) for tests and tools.
 *
 * Data model: ChartSeries {times (unix s), values} from model.ts.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';
import type { ChartSeries } from './model.js';
import { timeLabels, timeWindow } from './chart-window.js';

export interface ChartOptions {
  label: string;
  /** Formats a y value for the axis and the legend. */
  format: (v: number) => string;
  height?: number;
}

export interface LineChart {
  el: HTMLElement;
  setData(series: ChartSeries): void;
  destroy(): void;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function lineChart(opts: ChartOptions): LineChart {
  const plotBox = h('div', { class: 'chart-plot' });
  const note = h('p', { class: 'chart-note', hidden: true }, 'Collecting data: the chart fills in as the pool runs.');
  const el = h('figure', { class: 'chart', role: 'group', 'aria-label': `${opts.label} chart` }, plotBox, note);
  let data: uPlot.AlignedData = [[], []];
  let plot: uPlot | null = null;

  const build = (): void => {
    plot?.destroy();
    const width = Math.max(200, plotBox.clientWidth || el.clientWidth || 600);
    const axisColor = cssVar('--muted', '#666');
    const gridColor = cssVar('--grid', 'rgba(0,0,0,0.08)');
    const accent = cssVar('--accent', '#f26822');
    const o: uPlot.Options = {
      width,
      height: opts.height ?? 220,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // from the data itself: for a single point uPlot hands the range function [t, t + 86400 / ms], which with
        // unix-second times (ms = 1e-3) is ~2.7 years
        x: {
          time: true,
          range: (u) => timeWindow(u.data[0]?.[0] ?? null, u.data[0]?.at(-1) ?? null, Date.now() / 1000),
        },
        y: { range: (_u, min, max) => [0, Math.max(max * 1.1, min + 1)] },
      },
      series: [
        { label: 'Time' },
        {
          label: opts.label,
          stroke: accent,
          width: 2,
          fill: `${accent}22`,
          points: { show: (u) => (u.data[0]?.length ?? 0) < 3, size: 6 },
          value: (_u, v) => (v === null || v === undefined ? '—' : opts.format(v)),
        },
      ],
      axes: [
        {
          stroke: axisColor,
          grid: { stroke: gridColor },
          ticks: { stroke: gridColor },
          values: (u, ticks) => {
            const labels = timeLabels(ticks, (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0));
            el.dataset.xLabels = labels.join('|');
            return labels;
          },
        },
        {
          stroke: axisColor,
          grid: { stroke: gridColor },
          ticks: { stroke: gridColor },
          size: 80,
          values: (_u, vals) => vals.map((v) => opts.format(v)),
        },
      ],
    };
    plot = new uPlot(o, data, plotBox);
  };

  const resize = new ResizeObserver(() => {
    if (!plot) return;
    const w = Math.max(200, plotBox.clientWidth);
    if (Math.abs(w - plot.width) > 1) plot.setSize({ width: w, height: plot.height });
  });
  const themeObserver = new MutationObserver(() => build());

  // Built once attached so the width is known.
  requestAnimationFrame(() => {
    build();
    resize.observe(plotBox);
    themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  });

  return {
    el,
    setData(series: ChartSeries): void {
      data = [series.times, series.values];
      note.hidden = series.times.length >= 2;
      plot?.setData(data);
    },
    destroy(): void {
      resize.disconnect();
      themeObserver.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
