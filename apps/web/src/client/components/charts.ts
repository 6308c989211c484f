/**
 * The detection view's charts, drawn by uPlot on canvas (about 50 KB, fast for many points).
 * Both draw from prepared arrays — bin counts, or the projected sample — never one DOM node per
 * row. Each chart is an image to assistive technology, with a summary as its label; the
 * numbers behind it are also in the page as text and tables.
 */
import uPlot from 'uplot';
import { binCentres, type ScoreHistogram } from '../../lib/histogram.js';
import { formatNumber, formatPercent } from '../../lib/format.js';
import type { Projection } from '../../lib/projection.js';
import { h } from '../dom.js';

export const NORMAL_COLOUR = '#475569';
export const ANOMALY_COLOUR = '#c2410c';
export const THRESHOLD_COLOUR = '#b91c1c';

export interface ChartHandle {
  readonly element: HTMLElement;
  destroy(): void;
}

const HEIGHT = 280;

/** A chart that follows its container's width. */
function responsive(host: HTMLElement, make: (width: number) => uPlot): ChartHandle {
  let chart: uPlot | undefined;
  const width = (): number => Math.max(280, Math.floor(host.clientWidth || 640));
  // uPlot measures its container; build it once the host is in the document.
  requestAnimationFrame(() => {
    chart = make(width());
  });
  const observer = new ResizeObserver(() => chart?.setSize({ width: width(), height: HEIGHT }));
  observer.observe(host);
  return {
    element: host,
    destroy() {
      observer.disconnect();
      chart?.destroy();
    },
  };
}

/**
 * Score histogram: normal rows and anomalies as bars per bin, and the model's threshold as a
 * dashed vertical line. After each draw, the host carries `data-threshold-x` (the line's column
 * in canvas pixels), so a test can check the line is really on the canvas.
 */
export function histogramChart(
  histogram: ScoreHistogram,
  threshold: number,
  label: string,
): ChartHandle {
  const anomalies = histogram.anomalous.reduce((sum, n) => sum + n, 0);
  const host = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${label}: ${histogram.total} scores in ${histogram.normal.length} bins, ${anomalies} at or above the threshold ${formatNumber(threshold)}.`,
    'data-bins': histogram.normal.length,
    'data-total': histogram.total,
    'data-threshold': threshold,
  });
  const x = Array.from(binCentres(histogram));
  const first = histogram.edges[0]!;
  const last = histogram.edges[histogram.edges.length - 1]!;
  const bars = uPlot.paths.bars!({ size: [1, Infinity], gap: 1, align: 0 });
  const thresholdLine = (u: uPlot): void => {
    const px = Math.round(u.valToPos(threshold, 'x', true));
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = THRESHOLD_COLOUR;
    ctx.lineWidth = Math.max(2, Math.round(2 * devicePixelRatio));
    ctx.setLineDash([8 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(px, u.bbox.top);
    ctx.lineTo(px, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
    host.dataset['thresholdX'] = String(px);
  };
  return responsive(
    host,
    (width) =>
      new uPlot(
        {
          width,
          height: HEIGHT,
          legend: { show: true },
          cursor: { drag: { x: false, y: false } },
          scales: {
            x: { time: false, range: [first, last] },
            y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] },
          },
          axes: [
            {
              label: 'anomaly score (higher = more anomalous)',
              values: (_u, ticks) => ticks.map((t) => formatNumber(t, 3)),
            },
            { label: 'rows' },
          ],
          series: [
            { label: 'score', value: (_u, v) => (v === null ? '–' : formatNumber(v, 4)) },
            {
              label: 'normal',
              stroke: NORMAL_COLOUR,
              fill: `${NORMAL_COLOUR}cc`,
              paths: bars,
              points: { show: false },
            },
            {
              label: 'anomalies',
              stroke: ANOMALY_COLOUR,
              fill: `${ANOMALY_COLOUR}dd`,
              paths: bars,
              points: { show: false },
            },
          ],
          hooks: { draw: [thresholdLine] },
        },
        [x, Array.from(histogram.normal), Array.from(histogram.anomalous)],
        host,
      ),
  );
}

/**
 * The scored rows on their first two principal components, anomalies in their own colour and
 * larger. uPlot wants x ascending, so the points are drawn in order of the first component.
 */
export function projectionChart(
  projection: Projection,
  labels: readonly number[],
  label: string,
): ChartHandle {
  const order = Array.from(projection.x.keys()).sort((a, b) => projection.x[a]! - projection.x[b]!);
  const xs = order.map((i) => projection.x[i]!);
  const normal = order.map((i) => (labels[i] === 1 ? null : projection.y[i]!));
  const anomalous = order.map((i) => (labels[i] === 1 ? projection.y[i]! : null));
  const flagged = anomalous.filter((v) => v !== null).length;
  const [pc1, pc2] = projection.explained;
  const host = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${label}: ${xs.length} rows on the first two principal components (${formatPercent(pc1)} and ${formatPercent(pc2)} of the variance), ${flagged} anomalies highlighted.`,
    'data-points': xs.length,
    'data-anomalies': flagged,
  });
  const noLine = (): null => null;
  return responsive(
    host,
    (width) =>
      new uPlot(
        {
          width,
          height: HEIGHT,
          legend: { show: true },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: false } },
          axes: [
            {
              label: `PC1 (${formatPercent(pc1)} of variance)`,
              values: (_u, ticks) => ticks.map((t) => formatNumber(t, 3)),
            },
            {
              label: `PC2 (${formatPercent(pc2)})`,
              values: (_u, ticks) => ticks.map((t) => formatNumber(t, 3)),
            },
          ],
          series: [
            { label: 'PC1', value: (_u, v) => (v === null ? '–' : formatNumber(v, 4)) },
            {
              label: 'normal',
              stroke: NORMAL_COLOUR,
              paths: noLine,
              points: { show: true, size: 4, fill: `${NORMAL_COLOUR}99`, width: 0 },
            },
            {
              label: 'anomalies',
              stroke: ANOMALY_COLOUR,
              paths: noLine,
              points: { show: true, size: 8, fill: ANOMALY_COLOUR, width: 1 },
            },
          ],
        },
        [xs, normal, anomalous],
        host,
      ),
  );
}
