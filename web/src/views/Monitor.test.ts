import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { setLang } from '../i18n'
import Monitor from './Monitor.vue'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const minute = (offset: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - offset * 60_000).toISOString()
const today = new Date().toISOString().slice(0, 10)

const fixtures = () => ({
  traffic: {
    window_seconds: 3600,
    step_seconds: 60,
    groups: [
      { group: 'search', points: [{ t: minute(2), requests_per_second: 0.5, p95_ms: 41.2, error_rate: 0 }] },
      { group: 'auth', points: [{ t: minute(1), requests_per_second: 0.25, p95_ms: 90, error_rate: 0.5 }] },
    ],
  },
  ingest: {
    queued: 3,
    running: 1,
    failed: 2,
    oldest_queued_age_seconds: 210,
    step_seconds: 60,
    points: [{ t: minute(3), queued: 3, oldest_queued_age_seconds: 12.5, pages_parsed: 40, chunks_embedded: 120 }],
  },
  usage: {
    active_users_24h: 2,
    days: [
      { day: '2026-11-25', uploads: 0, searches: 1, active_users: 1 },
      { day: today, uploads: 5, searches: 12, active_users: 2 },
    ],
  },
  services: {
    services: [
      { name: 'gateway', status: 'serving', version: '0.1.0', latency_ms: 0, started_at: minute(60) },
      { name: 'indexer', status: 'unreachable', version: '', latency_ms: 0, started_at: '', error: 'connection refused' },
    ],
    events: [{ at: minute(1), level: 'warn', service: 'indexer', target: 'aidoc_indexer::embed', message: 'slow batch' }],
  },
})

type Answers = Record<'traffic' | 'ingest' | 'usage' | 'services', unknown>
let calls: string[] = []
function serve(answers: Answers, status: Partial<Record<keyof Answers, number>> = {}) {
  calls = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      calls.push(url)
      const name = (url.match(/\/api\/v1\/monitor\/(\w+)/)?.[1] ?? '') as keyof Answers
      if (!(name in answers)) return json(404, { code: 'not_found', message: url })
      const s = status[name] ?? 200
      return s === 200 ? json(200, answers[name]) : json(s, { code: 'permission_denied', message: 'admins only' })
    }),
  )
}

// The test DOM has no 2D canvas context: Chart.js says so and draws nothing
// (the browser test draws for real). Any other console error fails the test.
let consoleErrors: string[] = []
beforeEach(() => {
  setLang('en')
  consoleErrors = []
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => {
    const m = a.map(String).join(' ')
    if (!m.includes("can't acquire context")) consoleErrors.push(m)
  })
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
  vi.restoreAllMocks()
  expect(consoleErrors).toEqual([])
})

describe('Monitor page', () => {
  it('shows tiles, charts with summaries, services and warnings from the API', async () => {
    serve(fixtures())
    const w = mount(Monitor)
    await flushPromises()
    expect(calls.sort()).toEqual([
      '/api/v1/monitor/ingest?window=3600',
      '/api/v1/monitor/services',
      '/api/v1/monitor/traffic?window=3600',
      '/api/v1/monitor/usage?days=14',
    ])
    const tile = (n: string) => w.get(`[data-tile=${n}]`).text()
    expect(tile('queued')).toBe('3Jobs queued')
    expect(tile('running')).toContain('1')
    expect(w.get('[data-tile=failed]').classes()).toContain('alarm')
    expect(tile('oldest')).toContain('3.5 min')
    expect(tile('active')).toBe('2Active users (24 h)')

    const chart = (title: string) => w.get(`[data-chart="${title}"]`)
    expect(chart('Request rate').attributes('data-nonzero')).toBe('auth search')
    expect(chart('Request rate').get('canvas').attributes('aria-label')).toBe('Request rate')
    expect(chart('Request rate').get('[data-test=chart-summary]').text()).toBe(
      'Sign-in: latest 0 req/s, peak 0.25 req/s. Search: latest 0 req/s, peak 0.5 req/s.',
    )
    expect(chart('Error rate').attributes('data-nonzero')).toBe('auth')
    expect(chart('Queue depth and oldest job age').attributes('data-nonzero')).toBe('queued oldest')
    expect(chart('Uploads and searches per day').attributes('data-nonzero')).toBe('uploads searches')
    expect(chart('Uploads and searches per day').get('[data-test=chart-summary]').text()).toBe('Uploads: latest 5, peak 5. Searches: latest 12, peak 12.')

    const rows = w.findAll('[data-test=services] tbody tr')
    expect(rows.map((r) => r.attributes('data-service'))).toEqual(['gateway', 'indexer'])
    expect(rows[0]!.get('.badge').text()).toBe('Serving')
    expect(rows[1]!.get('.badge').classes()).toContain('bad')
    expect(rows[1]!.text()).toContain('connection refused')
    expect(w.get('[data-test=events]').text()).toContain('slow batch')
    expect(w.get('[data-test=live]').text()).toMatch(/Updated .*refreshes every 15 seconds/)
    w.unmount()
  })

  it('says so when there is nothing to show yet', async () => {
    const f = fixtures()
    serve({
      ...f,
      traffic: { window_seconds: 3600, step_seconds: 60, groups: [] },
      ingest: { ...f.ingest, queued: 0, running: 0, failed: 0, oldest_queued_age_seconds: 0, points: [] },
      usage: { active_users_24h: 0, days: [{ day: today, uploads: 0, searches: 0, active_users: 0 }] },
      services: { services: f.services.services, events: [] },
    })
    const w = mount(Monitor)
    await flushPromises()
    expect(w.get('[data-test=traffic-empty]').text()).toContain('No requests in this window')
    expect(w.get('[data-test=ingest-empty]').text()).toContain('Upload a document')
    expect(w.get('[data-test=usage-empty]').text()).toContain('No uploads')
    expect(w.get('[data-test=events-empty]').text()).toContain('No warnings or errors')
    expect(w.findAll('canvas')).toHaveLength(0)
    w.unmount()
  })

  it('tells a non-admin the page is for administrators', async () => {
    serve(fixtures(), { traffic: 403, ingest: 403, usage: 403, services: 403 })
    const w = mount(Monitor)
    await flushPromises()
    expect(w.get('[data-test=forbidden]').text()).toContain('for administrators')
    expect(w.find('[data-test=tiles]').exists()).toBe(false)
    w.unmount()
  })

  it('keeps the other sections when one endpoint fails, in Chinese too', async () => {
    setLang('zh')
    serve(fixtures(), { services: 500 })
    const w = mount(Monitor)
    await flushPromises()
    expect(w.get('[data-tile=queued]').text()).toContain('排队中的任务')
    expect(w.findAll('[role=alert]')).toHaveLength(1)
    expect(w.find('[data-test=services]').exists()).toBe(false)
    expect(w.find('[data-chart="请求速率"]').exists()).toBe(true)
    w.unmount()
  })

  it('refreshes every 15 seconds and reloads with the chosen window', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    serve(fixtures())
    const w = mount(Monitor)
    await flushPromises()
    expect(calls).toHaveLength(4)
    vi.advanceTimersByTime(15_000)
    await flushPromises()
    expect(calls).toHaveLength(8)
    await w.get('[data-test=window]').setValue('86400')
    await flushPromises()
    expect(calls.filter((c) => c.includes('window=86400'))).toHaveLength(2)
    w.unmount()
    vi.advanceTimersByTime(30_000)
    await flushPromises()
    expect(calls).toHaveLength(12)
  })
})
