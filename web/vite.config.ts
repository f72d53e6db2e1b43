import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// The gateway serves dist/ at `/`; `npm run dev` proxies the API to a local gateway.
export default defineConfig({
  plugins: [vue()],
  build: {
    target: 'es2022',
    // Keep CSS in files: the Content-Security-Policy forbids inline styles.
    cssCodeSplit: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': process.env.AIDOC_URL ?? 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
