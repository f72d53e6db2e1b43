import { describe, expect, it } from 'vitest'
import { age, fill, grid, hasData, ingestSeries, latest, timeLabels, trafficSeries, usageSeries } from './series'

const at = (iso: string) => Date.parse(iso)

describe('grid', () => {
  it('has window/step steps ending at the step that holds now', () => {
    const g = grid(300, 60, at('2026-11-26T08:04:30Z'))
    expect(g.times.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['08:00', '08:01', '08:02', '08:03', '08:04'])
    expect(g.step).toBe(60_000)
  })
  it('reaches the newest point when the server clock is ahead', () => {
    const g = grid(180, 60, at('2026-11-26T08:00:10Z'), [at('2026-11-26T08:02:00Z')])
    expect(new Date(g.times[2]!).toISOString()).toBe('2026-11-26T08:02:00.000Z')
    expect(g.times).toHaveLength(3)
  })
})

describe('fill', () => {
  it('puts points at their step, zero in the gaps, and drops points outside the window', () => {
    const g = grid(300, 60, at('2026-11-26T08:04:59Z'))
    const pts = [
      { t: '2026-11-26T07:59:00Z', v: 9 }, // before the window
      { t: '2026-11-26T08:01:00Z', v: 2 },
      { t: '2026-11-26T08:03:30Z', v: 5 }, // inside the 08:03 step
      { t: 'not a time', v: 7 },
    ]
    expect(fill(g, pts, (p) => p.v)).toEqual([0, 2, 0, 5, 0])
  })
})

describe('trafficSeries', () => {
  const report = {
    window_seconds: 240,
    step_seconds: 60,
    groups: [
      { group: 'search', points: [{ t: '2026-11-26T08:02:00Z', requests_per_second: 0.5, p95_ms: 41.2, error_rate: 0.25 }] },
      { group: 'future', points: [] },
      { group: 'auth', points: [{ t: '2026-11-26T08:00:00Z', requests_per_second: 0.1, p95_ms: 80, error_rate: 0 }] },
    ],
  }
  it('has one dataset per group, known groups in order, gaps filled with zero', () => {
    const s = trafficSeries(report, at('2026-11-26T08:03:10Z'))
    expect(s.rate.map((x) => x.label)).toEqual(['auth', 'search', 'future'])
    expect(s.rate[1]!.data).toEqual([0, 0, 0.5, 0])
    expect(s.p95[0]!.data).toEqual([80, 0, 0, 0])
    expect(s.errors[1]!.data).toEqual([0, 0, 25, 0]) // percent
    expect(s.rate[2]!.data).toEqual([0, 0, 0, 0])
    expect(hasData(s.rate)).toBe(true)
  })
  it('an idle window is all zeros', () => {
    const s = trafficSeries({ window_seconds: 3600, step_seconds: 60, groups: [] }, Date.now())
    expect(s.grid.times).toHaveLength(60)
    expect(hasData(s.rate, s.p95)).toBe(false)
  })
})

describe('ingestSeries and usageSeries', () => {
  it('fills the queue and throughput per step', () => {
    const s = ingestSeries(
      {
        queued: 1,
        running: 1,
        failed: 0,
        oldest_queued_age_seconds: 3,
        step_seconds: 60,
        points: [{ t: '2026-11-26T08:01:00Z', queued: 3, oldest_queued_age_seconds: 12.5, pages_parsed: 40, chunks_embedded: 120 }],
      },
      180,
      at('2026-11-26T08:02:05Z'),
    )
    expect(s.queued).toEqual([0, 3, 0])
    expect(s.oldestAge).toEqual([0, 12.5, 0])
    expect([latest(s.pagesParsed), s.chunksEmbedded[1]]).toEqual([0, 120])
  })
  it('orders days oldest first', () => {
    const u = usageSeries({
      active_users_24h: 2,
      days: [
        { day: '2026-11-26', uploads: 5, searches: 12, active_users: 2 },
        { day: '2026-11-25', uploads: 0, searches: 1, active_users: 1 },
      ],
    })
    expect(u).toEqual({ days: ['2026-11-25', '2026-11-26'], uploads: [0, 5], searches: [1, 12], activeUsers: [1, 2] })
  })
  it('names ages in a fitting unit', () => {
    expect(age(42, 'en')).toEqual({ value: '42', unit: 's' })
    expect(age(210, 'en')).toEqual({ value: '3.5', unit: 'min' })
    expect(age(7560, 'en')).toEqual({ value: '2.1', unit: 'h' })
  })
})

describe('timeLabels', () => {
  it('shows hours and minutes within a day, the date and hour over days', () => {
    const day = timeLabels(grid(180, 60, Date.parse('2026-11-26T08:02:00Z')), 'en')
    expect(day).toHaveLength(3)
    expect(day.every((l) => /^\d\d:\d\d$/.test(l))).toBe(true)
    const week = timeLabels(grid(7 * 86400, 3600, Date.parse('2026-11-26T08:02:00Z')), 'en')
    expect(week).toHaveLength(168)
    expect(week[0]).toMatch(/^11\/\d+, \d\d$/)
  })
})
