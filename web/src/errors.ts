// Plain words for errors and document failures.
import { ApiError } from './api/client'
import type { Failure } from './api/types'
import { has, t } from './i18n'

export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('error.network')
    if (e.status === 403) return t('error.forbidden')
    if (e.status === 429) return t('error.rateLimited', { s: e.retryAfter ?? 1 })
    return t('error.generic', { message: e.message })
  }
  if (e instanceof TypeError) return t('error.network')
  return e instanceof Error ? e.message : String(e)
}

export function describeFailure(f: Failure | null | undefined): string {
  if (!f) return ''
  const key = `failure.${f.code}`
  return has(key) ? t(key) : t('failure.other', { code: f.code })
}
