// Who is signed in. Restored on start by a silent refresh (the cookie).
import { computed, reactive } from 'vue'
import { api } from './api/client'
import type { Me, User } from './api/types'

export const session = reactive({
  user: null as User | null,
  checked: false,
  expired: false,
})

export const canWrite = computed(() => session.user?.role === 'admin' || session.user?.role === 'editor')
export const isAdmin = computed(() => session.user?.role === 'admin')

async function loadMe() {
  const me = await api.get<Me>('/api/v1/auth/me')
  session.user = me.user
}

export async function restore(): Promise<void> {
  if (session.checked) return
  try {
    if (await api.refresh()) await loadMe()
  } catch {
    session.user = null
  } finally {
    session.checked = true
  }
}

export async function signIn(username: string, password: string) {
  const tokens = await api.login(username, password)
  session.user = tokens.user
  session.expired = false
  session.checked = true
  await loadMe()
}

export async function signOut() {
  try {
    await api.logout()
  } catch {
    /* signed out locally either way */
  }
  session.user = null
}
