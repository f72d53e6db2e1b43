// A small typed i18n: `t('key', { name })` in the current language, which is
// the browser's by default and remembered once chosen.
import { ref } from 'vue'
import { en, type MessageKey } from './en'
import { zh } from './zh'

export type Lang = 'en' | 'zh'
export const LANGS: { code: Lang; label: string; htmlLang: string }[] = [
  { code: 'en', label: 'English', htmlLang: 'en' },
  { code: 'zh', label: '简体中文', htmlLang: 'zh-CN' },
]
export const messages: Record<Lang, Record<MessageKey, string>> = { en, zh }
const STORE = 'aidoc.lang'

export function detect(stored: string | null, browser: readonly string[]): Lang {
  if (stored === 'en' || stored === 'zh') return stored
  for (const l of browser) {
    const p = l.toLowerCase()
    if (p.startsWith('zh')) return 'zh'
    if (p.startsWith('en')) return 'en'
  }
  return 'en'
}

function stored(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORE) ?? null
  } catch {
    return null
  }
}

export const lang = ref<Lang>(detect(stored(), globalThis.navigator?.languages ?? []))

function applyHtmlLang() {
  const l = LANGS.find((x) => x.code === lang.value)
  if (typeof document !== 'undefined' && l) document.documentElement.lang = l.htmlLang
}
applyHtmlLang()

export function setLang(l: Lang) {
  lang.value = l
  try {
    globalThis.localStorage?.setItem(STORE, l)
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  applyHtmlLang()
}

export function format(template: string, params?: Record<string, string | number>): string {
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m))
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return format(messages[lang.value][key] ?? en[key], params)
}

/** Whether a key exists (for keys built at run time, such as failure codes). */
export function has(key: string): key is MessageKey {
  return key in en
}

export function formatDate(iso?: string | null): string {
  if (!iso) return t('common.never')
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(lang.value === 'zh' ? 'zh-CN' : 'en', { dateStyle: 'medium', timeStyle: 'short' })
}

export function formatSize(n: number): string {
  if (n < 1024) return t('common.bytes', { n })
  if (n < 1024 * 1024) return t('common.kib', { n: (n / 1024).toFixed(1) })
  return t('common.mib', { n: (n / 1024 / 1024).toFixed(1) })
}
