import { describe, expect, it } from 'vitest'
import { en } from './en'
import { detect, format, lang, messages, setLang, t } from './index'
import { zh } from './zh'

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('messages', () => {
  it('every key exists in every language, with text and the same placeholders', () => {
    for (const [code, table] of Object.entries(messages)) {
      const missing = Object.keys(en).filter((k) => !(k in table))
      const extra = Object.keys(table).filter((k) => !(k in en))
      expect({ code, missing, extra }).toEqual({ code, missing: [], extra: [] })
      for (const [k, v] of Object.entries(table)) {
        expect(v.trim(), `${code} ${k}`).not.toBe('')
        expect(placeholders(v), `${code} ${k}`).toEqual(placeholders(en[k as keyof typeof en]))
      }
    }
  })

  it('the Chinese table is really translated', () => {
    const same = Object.keys(en).filter((k) => en[k as keyof typeof en] === zh[k as keyof typeof zh] && /[a-z]{4,}/i.test(en[k as keyof typeof en]))
    // Only names and pure placeholders may stay as they are.
    expect(same.filter((k) => !['app.name', 'error.generic'].includes(k))).toEqual([])
  })
})

describe('language', () => {
  it('follows the browser until a choice is stored', () => {
    expect(detect(null, ['zh-CN', 'en'])).toBe('zh')
    expect(detect(null, ['de-DE', 'en-GB'])).toBe('en')
    expect(detect(null, ['fr'])).toBe('en')
    expect(detect('zh', ['en-US'])).toBe('zh')
    expect(detect('xx', ['zh-TW'])).toBe('zh')
  })

  it('switches, remembers the choice and sets the page language', () => {
    setLang('zh')
    expect(lang.value).toBe('zh')
    expect(localStorage.getItem('aidoc.lang')).toBe('zh')
    expect(document.documentElement.lang).toBe('zh-CN')
    expect(t('nav.library')).toBe('文档库')
    setLang('en')
    expect(t('library.selected', { n: 3 })).toBe('3 selected')
  })

  it('fills placeholders and leaves unknown ones', () => {
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}')
  })
})
