// The REST client. The access token lives in memory only; the refresh token
// is an HttpOnly cookie the browser sends to /api/v1/auth only. A 401 is
// answered by one silent refresh and a retry; when that fails the app is
// told to show the sign-in page.
import type { Tokens } from './types'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly retryAfter?: number,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The typed error of a failed response: `{code, message, request_id}`, or a stand-in when the body is not that. */
export async function parseError(resp: Response): Promise<ApiError> {
  const retry = Number(resp.headers.get('retry-after') ?? '')
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined
  let text = ''
  try {
    text = await resp.text()
  } catch {
    /* the body was cut off */
  }
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown; request_id?: unknown }
    if (typeof body.code === 'string' && typeof body.message === 'string') {
      const rid = typeof body.request_id === 'string' ? body.request_id : (resp.headers.get('x-request-id') ?? undefined)
      return new ApiError(resp.status, body.code, body.message, rid, retryAfter)
    }
  } catch {
    /* not JSON */
  }
  const message = text.trim().slice(0, 200) || resp.statusText || `HTTP ${resp.status}`
  return new ApiError(resp.status, `http_${resp.status}`, message, resp.headers.get('x-request-id') ?? undefined, retryAfter)
}

export type Query = Record<string, string | number | boolean | null | undefined>

export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** Return the Response as it is (downloads). */
  raw?: boolean
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>

export class Api {
  private token: string | null = null
  private refreshing: Promise<boolean> | null = null
  /** Called when the session is gone for good (refresh failed). */
  onSignedOut: () => void = () => {}

  constructor(
    private readonly base = '',
    private readonly fetchFn: FetchFn = (i, init) => globalThis.fetch(i, init),
  ) {}

  get accessToken(): string | null {
    return this.token
  }

  async login(username: string, password: string): Promise<Omit<Tokens, 'refresh_token'>> {
    const resp = await this.fetchFn(`${this.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ username, password }),
    })
    if (!resp.ok) throw await parseError(resp)
    // The refresh token stays in its HttpOnly cookie; never keep it in script.
    const { refresh_token: _cookie, ...tokens } = (await resp.json()) as Tokens
    this.token = tokens.access_token
    return tokens
  }

  /** Trades the refresh cookie for a new access token; concurrent callers share one attempt. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const resp = await this.fetchFn(`${this.base}/api/v1/auth/refresh`, {
            method: 'POST',
            credentials: 'same-origin',
          })
          if (!resp.ok) {
            this.token = null
            return false
          }
          const tokens = (await resp.json()) as Tokens
          this.token = tokens.access_token
          return true
        } catch {
          return false
        } finally {
          this.refreshing = null
        }
      })()
    }
    return this.refreshing
  }

  async logout(): Promise<void> {
    try {
      await this.request('POST', '/api/v1/auth/logout')
    } finally {
      this.token = null
    }
  }

  forget() {
    this.token = null
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = {}
    if (this.token) headers.authorization = `Bearer ${this.token}`
    let body: BodyInit | undefined
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(opts.body)
    }
    return this.fetchFn(`${this.base}${withQuery(path, opts.query)}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
    })
  }

  /** One authenticated call; JSON in and out. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    let resp = await this.send(method, path, opts)
    if (resp.status === 401) {
      if (await this.refresh()) {
        resp = await this.send(method, path, opts)
      }
      if (resp.status === 401) {
        this.token = null
        const err = await parseError(resp)
        this.onSignedOut()
        throw err
      }
    }
    if (!resp.ok) throw await parseError(resp)
    if (opts.raw) return resp as unknown as T
    if (resp.status === 204) return undefined as T
    const type = resp.headers.get('content-type') ?? ''
    return (type.includes('json') ? await resp.json() : await resp.text()) as T
  }

  get<T>(path: string, query?: Query) {
    return this.request<T>('GET', path, { query })
  }
  post<T>(path: string, body?: unknown) {
    return this.request<T>('POST', path, { body })
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, { body })
  }
  del(path: string) {
    return this.request<void>('DELETE', path)
  }
}

export const api = new Api()
