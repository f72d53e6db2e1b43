import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import { setLang } from '../i18n'
import { safeSnippet } from '../snippet'
import StateBox from './StateBox.vue'
import StatusBadge from './StatusBadge.vue'

describe('StatusBadge', () => {
  it('names the status and explains a failure in plain words', () => {
    setLang('en')
    const w = mount(StatusBadge, { props: { status: 'failed', failure: { code: 'encrypted', message: 'pdf: needs a password' } } })
    expect(w.text()).toContain('Failed')
    expect(w.text()).toContain('password-protected')
    expect(w.find('.failure').attributes('title')).toBe('pdf: needs a password')
  })
  it('names unknown failure codes', () => {
    const w = mount(StatusBadge, { props: { status: 'failed', failure: { code: 'weird', message: 'x' } } })
    expect(w.text()).toContain('Processing failed (weird).')
  })
  it('shows progress states in the current language', () => {
    setLang('zh')
    const w = mount(StatusBadge, { props: { status: 'indexing' } })
    expect(w.text()).toBe('索引中')
    expect(w.find('.dot').classes()).toContain('pulse')
    setLang('en')
  })
})

describe('StateBox', () => {
  it('says what went wrong and offers a retry', async () => {
    const w = mount(StateBox, { props: { error: new ApiError(403, 'permission_denied', 'editors only') } })
    expect(w.get('[role=alert]').text()).toContain('Ask an administrator')
    await w.get('button').trigger('click')
    expect(w.emitted('retry')).toHaveLength(1)
  })
  it('explains network failures and rate limits', () => {
    expect(mount(StateBox, { props: { error: new TypeError('Failed to fetch') } }).text()).toContain('cannot be reached')
    expect(mount(StateBox, { props: { error: new ApiError(429, 'rate_limited', 'x', undefined, 5) } }).text()).toContain('Wait 5 seconds')
  })
  it('shows loading before anything else, then the empty text', () => {
    expect(mount(StateBox, { props: { loading: true, empty: 'none' } }).text()).toBe('Loading…')
    expect(mount(StateBox, { props: { empty: 'No documents yet.' } }).text()).toBe('No documents yet.')
  })
})

describe('safeSnippet', () => {
  it('keeps <mark> and escapes any other markup', () => {
    expect(safeSnippet('a <mark>trace</mark> &lt;b&gt;')).toBe('a <mark>trace</mark> &lt;b&gt;')
    expect(safeSnippet('<img src=x onerror=alert(1)><mark>x</mark>')).toBe('&lt;img src=x onerror=alert(1)><mark>x</mark>')
    expect(safeSnippet('<mark onclick=x>y</mark>')).toBe('&lt;mark onclick=x>y</mark>')
  })
})
