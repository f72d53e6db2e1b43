// The JSON shapes of /api/v1 (see the gateway's dto.rs).
export type Role = 'admin' | 'editor' | 'viewer'
export type Status = 'queued' | 'parsing' | 'indexing' | 'ready' | 'failed' | 'unknown'

export interface User {
  id: string
  username: string
  display_name: string
  role: Role
  disabled: boolean
  created_at: string
  last_login_at: string | null
  last_seen_at: string | null
}

export interface Tokens {
  access_token: string
  token_type: string
  expires_in: number
  refresh_expires_at: string
  user: User
}

export interface Me {
  user: User
  via: { type: 'session' | 'api_key' }
}

export interface Failure {
  code: string
  message: string
}

export interface Document {
  id: string
  title: string
  file_name: string
  media_type: string
  size_bytes: number
  sha256: string
  category_id: string | null
  tags: string[]
  status: Status
  failure: Failure | null
  page_count: number
  chunk_count: number
  language: string | null
  author: string | null
  version: number
  created_at: string
  updated_at: string
  created_by: string | null
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface Version {
  version: number
  sha256: string
  size_bytes: number
  file_name: string
  created_at: string
  created_by: string | null
}

export interface Category {
  id: string
  name: string
  description: string
  parent_id: string | null
  document_count: number
  created_at: string
}

export interface Tag {
  name: string
  document_count: number
}

export interface SearchHit {
  chunk_id: string
  document_id: string
  document_title: string
  heading_path: string[]
  page_start: number
  page_end: number
  chunk_index: number
  /** HTML-escaped text with matches in <mark>. */
  snippet: string
  score: number
}

export interface SearchResults {
  mode: string
  hits: SearchHit[]
  next_cursor: string | null
  took_ms: number
}

export interface Chunk {
  chunk_id: string
  chunk_index: number
  text: string
  heading_path: string[]
  page_start: number
  page_end: number
}

export interface ChunkList {
  items: Chunk[]
  total_chunks: number
  total_pages: number
}

export interface OutlineEntry {
  title: string
  level: number
  page: number | null
  chunk_index: number
}

export interface Outline {
  source: 'bookmarks' | 'headings' | 'none'
  entries: OutlineEntry[]
  total_chunks: number
  total_pages: number
}

export interface ApiKey {
  id: string
  name: string
  prefix: string
  scopes: string[]
  user_id: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
}

export interface AuditEvent {
  id: string
  at: string
  user_id: string | null
  api_key_id: string | null
  ip: string
  user_agent: string
  action: string
  target_type: string
  target_id: string
  success: boolean
}

export interface UploadItem {
  file_name: string
  created?: boolean
  document?: Document
  error?: { code: string; message: string }
}
