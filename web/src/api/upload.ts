// Uploads one file with XMLHttpRequest (fetch has no upload progress).
import { api, ApiError } from './client'
import type { UploadItem } from './types'

function once(file: File, token: string | null, onProgress: (fraction: number) => void): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', '/api/v1/documents')
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total)
    }
    xhr.onload = () => resolve(xhr)
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error'))
    const form = new FormData()
    form.append('file', file, file.name)
    xhr.send(form)
  })
}

function errorOf(xhr: XMLHttpRequest): ApiError {
  try {
    const b = JSON.parse(xhr.responseText) as { code: string; message: string }
    return new ApiError(xhr.status, b.code, b.message)
  } catch {
    return new ApiError(xhr.status, `http_${xhr.status}`, xhr.statusText || `HTTP ${xhr.status}`)
  }
}

/** The answer for a file that was stored (or found already stored). */
export type Uploaded = Exclude<UploadItem, { error: unknown }>

/** Uploads `file`; refreshes the session once on 401. Resolves with the server's answer for the file. */
export async function uploadFile(file: File, onProgress: (fraction: number) => void): Promise<Uploaded> {
  let xhr = await once(file, api.accessToken, onProgress)
  if (xhr.status === 401 && (await api.refresh())) {
    xhr = await once(file, api.accessToken, onProgress)
  }
  if (xhr.status === 401) api.onSignedOut()
  if (xhr.status < 200 || xhr.status >= 300) throw errorOf(xhr)
  const body = JSON.parse(xhr.responseText) as { items: UploadItem[] }
  const item = body.items[0]
  if (!item) throw new ApiError(xhr.status, 'internal', 'empty answer')
  if ('error' in item) throw new ApiError(xhr.status, item.error.code, item.error.message)
  return item
}
