import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { User } from '../api/types'
import { setLang } from '../i18n'
import Users from '../views/Users.vue'
import ResetPassword from './ResetPassword.vue'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const viewer: User = { id: 'u2', username: 'viewer1', display_name: '', role: 'viewer', disabled: false, created_at: '2026-11-26T08:00:00Z' }
const admin: User = { ...viewer, id: 'u1', username: 'root', role: 'admin' }

type Call = { url: string; method?: string; body?: string }
let calls: Call[] = []
function serve(...answers: Response[]) {
  calls = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, method: init?.method, body: init?.body as string | undefined })
      const a = answers.shift()
      if (!a) throw new Error(`unexpected call ${url}`)
      return a
    }),
  )
}

beforeEach(() => setLang('en'))
afterEach(() => vi.unstubAllGlobals())

async function fill(w: ReturnType<typeof mount>, a: string, b: string) {
  await w.get('input[name=new-password]').setValue(a)
  await w.get('input[name=new-password-again]').setValue(b)
  await w.get('[data-test=reset-dialog] form').trigger('submit')
  await flushPromises()
}

describe('ResetPassword', () => {
  it('checks length and repetition before asking the API', async () => {
    serve()
    const w = mount(ResetPassword, { props: { user: null }, attachTo: document.body })
    await w.setProps({ user: viewer })
    expect(w.get('h2').text()).toBe('New password for viewer1')
    await fill(w, 'short', 'short')
    expect(w.get('[data-test=reset-error]').text()).toBe('The password needs at least 12 characters.')
    await fill(w, 'long-enough-password', 'long-enough-passwort')
    expect(w.get('[data-test=reset-error]').text()).toContain('The two passwords differ')
    expect(calls).toHaveLength(0)
    w.unmount()
  })

  it('sends the new password and reports the API error text', async () => {
    serve(json(400, { code: 'invalid_argument', message: 'a password cannot be only spaces' }), json(200, viewer))
    const w = mount(ResetPassword, { props: { user: null }, attachTo: document.body })
    await w.setProps({ user: viewer })
    await fill(w, ' '.repeat(12), ' '.repeat(12))
    expect(w.get('[data-test=reset-error]').text()).toBe('a password cannot be only spaces')
    await fill(w, 'a-new-password-123', 'a-new-password-123')
    expect(calls.map((c) => [c.method, c.url])).toEqual([
      ['PATCH', '/api/v1/users/u2'],
      ['PATCH', '/api/v1/users/u2'],
    ])
    expect(JSON.parse(calls[1]!.body!)).toEqual({ password: 'a-new-password-123' })
    expect(w.emitted('done')).toEqual([[viewer]])
    w.unmount()
  })
})

describe('Users page', () => {
  it('offers a reset per user and confirms it in the chosen language', async () => {
    setLang('zh')
    serve(json(200, { items: [admin, viewer], next_cursor: null }), json(200, viewer))
    const w = mount(Users, { attachTo: document.body })
    await flushPromises()
    const row = w.get('tr[data-user=viewer1]')
    expect(row.get('[data-test=reset]').attributes('aria-label')).toBe('重置密码：viewer1')
    await row.get('[data-test=reset]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=reset-dialog] h2').text()).toBe('为 viewer1 设置新密码')
    await fill(w, 'zh-new-password-1', 'zh-new-password-1')
    expect(w.get('[data-test=users-done]').text()).toBe('viewer1 的密码已更改；其所有会话均已结束。')
    expect(w.find('[data-test=reset-dialog] form').exists()).toBe(false)
    expect(calls.map((c) => [c.method, c.url])).toEqual([
      ['GET', '/api/v1/users?limit=100'],
      ['PATCH', '/api/v1/users/u2'],
    ])
    w.unmount()
  })
})
