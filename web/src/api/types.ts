// The JSON shapes of /api/v1, derived from the types generated from the
// committed OpenAPI document (schema.d.ts; `npm run gen:api` rewrites it and
// `npm run check:api` fails when it is stale). Nothing here is written by hand:
// when the API changes, the type check of the app says what to fix.
import type { components, paths } from './schema'

type Schemas = components['schemas']
type Json<C> = C extends { content: { 'application/json': infer B } } ? B : never
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** The JSON body of the successful (2xx) answer of `method path`. */
export type ResponseOf<P extends keyof paths, M extends Method> = paths[P][M] extends { responses: infer R }
  ? Json<R[Extract<keyof R, 200 | 201>]>
  : never

/** The JSON request body of `method path`. */
export type BodyOf<P extends keyof paths, M extends Method> = paths[P][M] extends { requestBody?: infer B }
  ? Json<NonNullable<B>>
  : never

/** The query parameters of `method path`. */
export type QueryOf<P extends keyof paths, M extends Method> = paths[P][M] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never

export type Role = Schemas['RoleName']
export type Status = Schemas['DocumentStatus']
export type User = Schemas['User']
export type Tokens = ResponseOf<'/api/v1/auth/login', 'post'>
export type Me = ResponseOf<'/api/v1/auth/me', 'get'>
export type Failure = Schemas['Failure']
export type Document = Schemas['Document']
export type Version = Schemas['Version']
export type Category = Schemas['Category']
export type Tag = Schemas['Tag']
export type SearchHit = Schemas['SearchHit']
export type SearchResults = ResponseOf<'/api/v1/search', 'get'>
export type Chunk = Schemas['Chunk']
export type ChunkList = ResponseOf<'/api/v1/documents/{id}/chunks', 'get'>
export type OutlineEntry = Schemas['OutlineEntry']
export type Outline = ResponseOf<'/api/v1/documents/{id}/outline', 'get'>
export type ApiKey = Schemas['ApiKey']
export type AuditEvent = Schemas['AuditEvent']
export type UploadItem = Schemas['UploadItem']
export type UserPatch = BodyOf<'/api/v1/users/{id}', 'patch'>
export type NewUser = BodyOf<'/api/v1/users', 'post'>

/** One page of a list: every `Page_*` schema has this shape. */
export type Page<T> = Omit<Schemas['Page_User'], 'items'> & { items: T[] }

// The monitor (GET /api/v1/monitor/…, admins).
export type TrafficReport = ResponseOf<'/api/v1/monitor/traffic', 'get'>
export type IngestReport = ResponseOf<'/api/v1/monitor/ingest', 'get'>
export type UsageReport = ResponseOf<'/api/v1/monitor/usage', 'get'>
export type ServicesReport = ResponseOf<'/api/v1/monitor/services', 'get'>
export type WindowQuery = QueryOf<'/api/v1/monitor/traffic', 'get'>
export type DaysQuery = QueryOf<'/api/v1/monitor/usage', 'get'>
