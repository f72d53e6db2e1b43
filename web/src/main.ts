import { createApp } from 'vue'
import App from './App.vue'
import { api } from './api/client'
import { router } from './router'
import { session } from './session'
import './style.css'

api.onSignedOut = () => {
  if (!session.user) return
  session.user = null
  session.expired = true
  void router.push({ name: 'signin', query: { next: router.currentRoute.value.fullPath } })
}

createApp(App).use(router).mount('#app')
