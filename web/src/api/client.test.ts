import { describe, expect, it, vi } from 'vitest'
import { Api, ApiError, parseError, withQuery } from './client'

type Call = { url: string; init?: RequestInit }
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

/** A scripted server: answers in order, records every call. */
function server(...answers: (Response | ((c: Call) => Response))[]) {
  const calls: Call[] = []
  const fetchFn = vi.fn(async (url: string, init?: RequestInit) => {
    const c = { url, init }
    calls.push(c)
    const a = answers.shift()
    if (!a) throw new Error(`unexpected call ${url}`)
    return typeof a === 'function' ? a(c) : a
  })
  return { calls, fetchFn }
}
const auth = (c: Call) => (c.init?.headers as Record<string, string> | undefined)?.authorization

describe('parseError', () => {
  it('reads the typed error body', async () => {
    const e = await parseError(json(404, { code: 'not_found', message: 'document x does not exist', request_id: 'r1' }))
    expect(e).toBeInstanceOf(ApiError)
    expect([e.status, e.code, e.message, e.requestId]).toEqual([404, 'not_found', 'document x does not exist', 'r1'])
  })
  it('keeps Retry-After', async () => {
    const e = await parseError(json(429, { code: 'rate_limited', message: 'slow down' }, { 'retry-after': '7' }))
    expect(e.retryAfter).toBe(7)
  })
  it('falls back to the text of a body that is not the error shape', async () => {
    const e = await parseError(new Response('bad gateway from the proxy', { status: 502, statusText: 'Bad Gateway' }))
    expect([e.status, e.code, e.message]).toEqual([502, 'http_502', 'bad gateway from the proxy'])
    const empty = await parseError(new Response('', { status: 503, statusText: 'Service Unavailable' }))
    expect(empty.message).toBe('Service Unavailable')
  })
})

describe('Api', () => {
  const tokens = (access: string) => json(200, { access_token: access, refresh_token: 'r', token_type: 'Bearer', expires_in: 900, user: { username: 'a' } })

  it('keeps the access token in memory and never returns the refresh token', async () => {
    const s = server(tokens('A1'), json(200, { items: [] }))
    const api = new Api('', s.fetchFn)
    const t = await api.login('a', 'pw')
    expect(t).not.toHaveProperty('refresh_token')
    await api.get('/api/v1/documents')
    expect(auth(s.calls[1]!)).toBe('Bearer A1')
    expect(s.calls[0]!.init?.credentials).toBe('same-origin')
  })

  it('refreshes once on 401 and retries with the new token', async () => {
    const s = server(tokens('OLD'), json(401, { code: 'token_expired', message: 'expired' }), tokens('NEW'), json(200, { ok: 1 }))
    const api = new Api('', s.fetchFn)
    await api.login('a', 'pw')
    expect(await api.get('/api/v1/x')).toEqual({ ok: 1 })
    expect(s.calls.map((c) => c.url)).toEqual(['/api/v1/auth/login', '/api/v1/x', '/api/v1/auth/refresh', '/api/v1/x'])
    expect(s.calls[2]!.init?.body).toBeUndefined() // the cookie carries the refresh token
    expect(auth(s.calls[3]!)).toBe('Bearer NEW')
  })

  it('shares one refresh between concurrent calls', async () => {
    const s = server(
      json(401, { code: 'token_expired', message: 'e' }),
      json(401, { code: 'token_expired', message: 'e' }),
      tokens('NEW'),
      json(200, 1),
      json(200, 2),
    )
    const api = new Api('', s.fetchFn)
    const r = await Promise.all([api.get('/a'), api.get('/b')])
    expect(r.sort()).toEqual([1, 2])
    expect(s.calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(1)
  })

  it('signs out when the refresh is refused', async () => {
    const s = server(json(401, { code: 'unauthenticated', message: 'sign in' }), json(401, { code: 'unauthenticated', message: 'no' }))
    const api = new Api('', s.fetchFn)
    const out = vi.fn()
    api.onSignedOut = out
    await expect(api.get('/api/v1/x')).rejects.toMatchObject({ status: 401, code: 'unauthenticated', message: 'sign in' })
    expect(out).toHaveBeenCalledOnce()
    expect(api.accessToken).toBeNull()
  })

  it('turns other failures into typed errors without refreshing', async () => {
    const s = server(json(403, { code: 'permission_denied', message: 'editors only' }))
    const api = new Api('', s.fetchFn)
    await expect(api.post('/api/v1/documents/1/reindex')).rejects.toMatchObject({ status: 403, code: 'permission_denied' })
    expect(s.calls).toHaveLength(1)
  })

  it('sends JSON bodies and builds queries without empty values', async () => {
    const s = server(new Response(null, { status: 204 }))
    const api = new Api('', s.fetchFn)
    expect(await api.patch('/api/v1/documents/1', { title: 'T' })).toBeUndefined()
    expect(s.calls[0]!.init?.body).toBe('{"title":"T"}')
    expect(withQuery('/p', { a: 'x y', b: '', c: undefined, d: 0 })).toBe('/p?a=x+y&d=0')
  })
})
