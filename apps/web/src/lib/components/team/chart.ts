/**
 * @module A thin Svelte action over Chart.js: `<canvas use:chart={spec}>`. Colours come from the
 * app's CSS variables and follow the light/dark scheme as it changes.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js'

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
)

/** A series: its label, values and the CSS variable that colours it. */
export interface Series {
  label: string
  data: (number | null)[]
  color: string
  /** Bars stack on one another (stacked bar charts). */
  stack?: string
}

export interface ChartSpec {
  type: 'bar' | 'line'
  labels: string[]
  series: Series[]
  /** Horizontal bars. */
  horizontal?: boolean
  stacked?: boolean
  /** Formats a value on the value axis and in tooltips. */
  format?: (value: number) => string
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

function configFor(spec: ChartSpec): ChartConfiguration {
  const fg = cssVar('--fg-soft')
  const grid = cssVar('--line')
  const format = spec.format ?? ((v: number) => String(v))
  const valueAxis = {
    beginAtZero: true,
    stacked: !!spec.stacked,
    ticks: { color: fg, callback: (v: string | number) => format(Number(v)), precision: 0 },
    grid: { color: grid },
    border: { color: grid },
  }
  const categoryAxis = {
    stacked: !!spec.stacked,
    ticks: { color: fg, autoSkip: true, maxRotation: 0 },
    grid: { display: false },
    border: { color: grid },
  }
  return {
    type: spec.type,
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s) => {
        const color = cssVar(s.color)
        return {
          label: s.label,
          data: s.data,
          backgroundColor: spec.type === 'line' ? color + '33' : color,
          borderColor: color,
          borderWidth: spec.type === 'line' ? 2 : 0,
          borderRadius: spec.type === 'bar' ? 3 : 0,
          pointRadius: spec.type === 'line' ? 0 : undefined,
          pointHitRadius: 8,
          tension: 0.25,
          fill: false,
          ...(s.stack ? { stack: s.stack } : {}),
        }
      }),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: spec.horizontal ? 'y' : 'x',
      interaction: { mode: 'index', intersect: false },
      scales: spec.horizontal
        ? { x: valueAxis, y: categoryAxis }
        : { x: categoryAxis, y: valueAxis },
      plugins: {
        legend: {
          display: spec.series.length > 1,
          labels: { color: fg, boxWidth: 12, boxHeight: 12 },
        },
        tooltip: {
          callbacks: {
            label: (item) =>
              `${item.dataset.label ?? ''}: ${item.raw === null ? '—' : format(Number(item.raw))}`,
          },
        },
      },
    },
  } as ChartConfiguration
}

/** Svelte action: draws `spec` on the canvas and redraws when it or the colour scheme changes. */
export function chart(canvas: HTMLCanvasElement, spec: ChartSpec) {
  let current = spec
  let instance = new Chart(canvas, configFor(current))
  const scheme = matchMedia('(prefers-color-scheme: dark)')
  const redraw = () => {
    instance.destroy()
    instance = new Chart(canvas, configFor(current))
  }
  scheme.addEventListener('change', redraw)
  return {
    update(next: ChartSpec) {
      current = next
      const config = configFor(next)
      if (next.type !== (instance.config as { type?: string }).type) return redraw()
      instance.data = config.data
      instance.options = config.options ?? {}
      instance.update()
    },
    destroy() {
      scheme.removeEventListener('change', redraw)
      instance.destroy()
    },
  }
}
