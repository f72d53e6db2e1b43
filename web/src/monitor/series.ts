// Turns the monitor answers into chart series: one value per step of the
// window, zero where the server had nothing to report (no traffic, no jobs).
import type { IngestReport, TrafficReport, UsageReport } from '../api/types'

/** The route groups the gateway reports, in the order the charts show them. */
export const GROUPS = ['auth', 'documents', 'search', 'mcp', 'admin', 'ui'] as const

export interface Series {
  label: string
  data: number[]
}

export interface Grid {
  /** Epoch milliseconds of every step, oldest first. */
  times: number[]
  step: number
}

/**
 * The time axis of a window: `window / step` steps ending at the step that
 * holds `now` (or the newest point, when the server's clock is ahead).
 */
export function grid(windowSeconds: number, stepSeconds: number, now: number, pointTimes: number[] = []): Grid {
  const step = Math.max(1, Math.round(stepSeconds)) * 1000
  const count = Math.max(1, Math.min(2000, Math.ceil(windowSeconds / Math.max(1, stepSeconds))))
  const latest = Math.max(now, ...pointTimes.filter(Number.isFinite))
  const end = Math.floor(latest / step) * step
  const times = Array.from({ length: count }, (_, i) => end - (count - 1 - i) * step)
  return { times, step }
}

/** Places each point at its step; missing steps stay 0, points outside the window are dropped. */
export function fill<P extends { t: string }>(g: Grid, points: readonly P[], value: (p: P) => number): number[] {
  const out = new Array<number>(g.times.length).fill(0)
  const first = g.times[0] ?? 0
  for (const p of points) {
    const at = Date.parse(p.t)
    if (!Number.isFinite(at)) continue
    const i = Math.floor((at - first) / g.step)
    if (i < 0 || i >= out.length) continue
    const v = value(p)
    out[i] = Number.isFinite(v) ? v : 0
  }
  return out
}

const times = (pts: readonly { t: string }[]) => pts.map((p) => Date.parse(p.t))

export interface TrafficSeries {
  grid: Grid
  rate: Series[]
  p95: Series[]
  /** Errors as a percentage of requests. */
  errors: Series[]
}

/** One dataset per group, the known groups first, then any others the server reports. */
export function trafficSeries(r: TrafficReport, now: number): TrafficSeries {
  const g = grid(r.window_seconds, r.step_seconds, now, r.groups.flatMap((x) => times(x.points)))
  const order = (name: string) => {
    const i = (GROUPS as readonly string[]).indexOf(name)
    return i < 0 ? GROUPS.length : i
  }
  const groups = [...r.groups].sort((a, b) => order(a.group) - order(b.group) || a.group.localeCompare(b.group))
  const of = (value: (p: TrafficReport['groups'][number]['points'][number]) => number) =>
    groups.map((x) => ({ label: x.group, data: fill(g, x.points, value) }))
  return {
    grid: g,
    rate: of((p) => p.requests_per_second),
    p95: of((p) => p.p95_ms),
    errors: of((p) => p.error_rate * 100),
  }
}

export interface IngestSeries {
  grid: Grid
  queued: number[]
  oldestAge: number[]
  pagesParsed: number[]
  chunksEmbedded: number[]
}

export function ingestSeries(r: IngestReport, windowSeconds: number, now: number): IngestSeries {
  const g = grid(windowSeconds, r.step_seconds, now, times(r.points))
  return {
    grid: g,
    queued: fill(g, r.points, (p) => p.queued),
    oldestAge: fill(g, r.points, (p) => p.oldest_queued_age_seconds),
    pagesParsed: fill(g, r.points, (p) => p.pages_parsed),
    chunksEmbedded: fill(g, r.points, (p) => p.chunks_embedded),
  }
}

export interface UsageSeries {
  days: string[]
  uploads: number[]
  searches: number[]
  activeUsers: number[]
}

export function usageSeries(r: UsageReport): UsageSeries {
  const days = [...r.days].sort((a, b) => a.day.localeCompare(b.day))
  return {
    days: days.map((d) => d.day),
    uploads: days.map((d) => d.uploads),
    searches: days.map((d) => d.searches),
    activeUsers: days.map((d) => d.active_users),
  }
}

/** Whether any value of any series is not zero. */
export const hasData = (...series: (number[] | Series[])[]) =>
  series.some((s) => s.some((x) => (typeof x === 'number' ? x !== 0 : x.data.some((v) => v !== 0))))

/** The last value of a series (what the visually hidden summaries read out). */
export const latest = (data: readonly number[]) => data[data.length - 1] ?? 0

/** Time labels of a grid: hours and minutes, with the date when the window spans days. */
export function timeLabels(g: Grid, locale: string): string[] {
  const span = (g.times[g.times.length - 1] ?? 0) - (g.times[0] ?? 0)
  const fmt = new Intl.DateTimeFormat(
    locale,
    span > 24 * 3600 * 1000
      ? { month: 'numeric', day: 'numeric', hour: '2-digit', hourCycle: 'h23' }
      : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  )
  return g.times.map((t) => fmt.format(t))
}

/** A compact number for tiles and summaries (at most two decimals). */
export function num(v: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 2 }).format(v)
}

/** A duration in seconds as "42 s", "3.5 min", "2.1 h". */
export function age(seconds: number, locale: string): { value: string; unit: 's' | 'min' | 'h' } {
  if (seconds < 120) return { value: num(seconds, locale), unit: 's' }
  if (seconds < 7200) return { value: num(seconds / 60, locale), unit: 'min' }
  return { value: num(seconds / 3600, locale), unit: 'h' }
}
