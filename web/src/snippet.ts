/**
 * A search snippet for `v-html`: the server sends HTML-escaped text with
 * matches in `<mark>`; anything else that looks like markup is escaped again,
 * so a faulty or hostile snippet can never add elements or attributes.
 */
export function safeSnippet(s: string): string {
  return s.replace(/<(?!\/?mark>)/g, '&lt;')
}
