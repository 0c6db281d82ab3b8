// A line chart (Chart.js, only the parts a line chart needs, so the bundle
// stays small) with a visually hidden table of the same figures for screen
// readers.
import { useEffect, useRef } from 'preact/hooks';
import {
  CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Legend, Filler);

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

export interface LineChartProps {
  title: string;
  labels: string[];
  series: Series[];
  /** Formats a value for axis ticks, tooltips and the hidden table. */
  format?: (v: number) => string;
  /** Formats axis ticks (defaults to format). */
  tickFormat?: (v: number) => string;
  locale?: string;
  height?: number;
}

export function LineChart({ title, labels, series, format, tickFormat, locale, height = 260 }: LineChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line'> | null>(null);
  const fmt = format ?? ((v: number) => v.toLocaleString(locale));
  const tick = tickFormat ?? fmt;

  useEffect(() => {
    if (!canvas.current) return undefined;
    const reduced = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.label,
          data: s.values,
          borderColor: s.color,
          backgroundColor: `${s.color}22`,
          fill: series.length === 1,
          tension: 0.25,
          pointRadius: 2,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        locale,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { display: series.length > 1, position: 'bottom' },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt(Number(c.parsed.y))}` } },
        },
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => tick(Number(v)) } } },
      },
    });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // Rebuilt when the data or the language changes.
  }, [JSON.stringify(labels), JSON.stringify(series), locale]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div class="chart-box" style={{ height: `${height}px` }}>
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
      <table class="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col"></th>
            {series.map((s) => (
              <th scope="col" key={s.label}>{s.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((l, i) => (
            <tr key={l}>
              <th scope="row">{l}</th>
              {series.map((s) => (
                <td key={s.label}>{s.values[i] === null || s.values[i] === undefined ? '' : fmt(s.values[i] as number)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
