import { createRouter, createWebHistory } from 'vue-router'
import { restore, session } from './session'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: '/library' },
    { path: '/signin', name: 'signin', component: () => import('./views/SignIn.vue'), meta: { public: true } },
    { path: '/library', name: 'library', component: () => import('./views/Library.vue') },
    { path: '/search', name: 'search', component: () => import('./views/Search.vue') },
    { path: '/documents/:id', name: 'document', component: () => import('./views/Document.vue'), props: true },
    { path: '/keys', name: 'keys', component: () => import('./views/Keys.vue') },
    { path: '/categories', name: 'categories', component: () => import('./views/Categories.vue') },
    { path: '/users', name: 'users', component: () => import('./views/Users.vue'), meta: { admin: true } },
    { path: '/monitor', name: 'monitor', component: () => import('./views/Monitor.vue'), meta: { admin: true } },
    { path: '/audit', name: 'audit', component: () => import('./views/Audit.vue'), meta: { admin: true } },
    { path: '/:rest(.*)*', name: 'notfound', component: () => import('./views/NotFound.vue') },
  ],
})

router.beforeEach(async (to) => {
  await restore()
  if (to.meta.public) {
    return session.user && to.name === 'signin' ? (typeof to.query.next === 'string' ? to.query.next : '/library') : true
  }
  if (!session.user) return { name: 'signin', query: { next: to.fullPath } }
  if (to.meta.admin && session.user.role !== 'admin') return { name: 'library' }
  return true
})
