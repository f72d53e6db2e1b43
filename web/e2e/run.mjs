// End-to-end run of the web UI in a real Chromium against a running stack.
//
// Env: AIDOC_URL (gateway), AIDOC_ADMIN_USER, AIDOC_ADMIN_PASSWORD,
// AIDOC_CORPUS (the shared corpus folder), AIDOC_SHOTS (where screenshots
// go), CHROMIUM (default /usr/bin/chromium). Exits non-zero on the first
// failed check, naming it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { chromium } from 'playwright-core'

const BASE = need('AIDOC_URL').replace(/\/$/, '')
const ADMIN = need('AIDOC_ADMIN_USER')
const ADMIN_PW = need('AIDOC_ADMIN_PASSWORD')
const CORPUS = need('AIDOC_CORPUS')
const SHOTS = need('AIDOC_SHOTS')
const PDF = join(CORPUS, 'pdf/pdfjs-tracemonkey.pdf')
const DOCX = join(CORPUS, 'docx/pandoc-instrtext-chinese.docx')
const VIEWER = 'e2e-viewer'
const VIEWER_PW = 'viewer-password-0123456'
const VIEWER_PW2 = 'viewer-reset-password-6543210'

function need(name) {
  const v = process.env[name]
  if (!v) {
    console.error(`missing ${name}`)
    process.exit(2)
  }
  return v
}

let step = 'start'
const t0 = Date.now()
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`)
}
function log(msg) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`)
}

async function apiLogin(user, password) {
  const r = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  })
  check(r.status === 200, `API login of ${user} answers 200 (got ${r.status})`)
  return (await r.json()).access_token
}

mkdirSync(SHOTS, { recursive: true })
const profile = mkdtempSync(join(tmpdir(), 'aidoc-e2e-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  locale: 'en-US',
  viewport: { width: 1280, height: 860 },
  acceptDownloads: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
const page = context.pages()[0] ?? (await context.newPage())
const problems = []
page.on('console', (m) => {
  // Refused sign-ins and refreshes are expected answers, not faults.
  if (m.type() === 'error' && !/Failed to load resource: .*status of 401/.test(m.text())) problems.push(`console: ${m.text()}`)
})
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
page.on('dialog', (d) => void d.accept())
page.setDefaultTimeout(20_000)

async function shot(name, fullPage = true) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage })
  log(`screenshot ${name}.png`)
}

try {
  step = 'sign-in page and headers'
  const first = await page.goto(`${BASE}/library`)
  const csp = first.headers()['content-security-policy'] ?? ''
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), `strict CSP on the UI: ${csp}`)
  await page.waitForURL(/\/signin\?next=/)
  await page.getByLabel('User name').waitFor()
  await shot('01-signin')

  step = 'sign in'
  await page.getByLabel('User name').fill(ADMIN)
  await page.getByLabel('Password').fill('wrong-password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText('The user name or password is wrong.').waitFor()
  await page.getByLabel('Password').fill(ADMIN_PW)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/library$/)
  await page.getByRole('heading', { name: 'Library' }).waitFor()
  check(
    !(await page.evaluate(() => Object.keys(localStorage).some((k) => /token/i.test(k + localStorage.getItem(k))))),
    'no token in localStorage',
  )
  const cookies = await context.cookies()
  const rc = cookies.find((c) => c.name === 'aidoc_refresh')
  check(rc && rc.httpOnly && rc.sameSite === 'Strict' && rc.path === '/api/v1/auth', 'refresh cookie is HttpOnly, Strict, /api/v1/auth')
  log('signed in')

  step = 'upload a PDF and a Chinese DOCX'
  await page.locator('[data-test=file-input]').setInputFiles([PDF, DOCX])
  for (const f of [PDF, DOCX]) {
    await page.locator(`tr[data-doc="${basename(f)}"]`).waitFor({ timeout: 60_000 })
  }
  check((await page.locator('.jobs progress').count()) === 2, 'a progress bar per file')
  for (const f of [PDF, DOCX]) {
    await page.locator(`tr[data-doc="${basename(f)}"] [data-status=ready]`).waitFor({ timeout: 240_000 })
    log(`${basename(f)} is ready`)
  }
  check((await page.locator('.jobs li[data-state=done]').count()) === 2, 'both uploads finished')
  await shot('02-library')

  step = 'search in English and open the hit at its page'
  await page.getByRole('link', { name: 'Search' }).click()
  await page.waitForURL(/\/search/)
  await page.locator('[data-test=search-box]').waitFor()
  await page.evaluate(() => document.activeElement?.blur())
  await page.keyboard.press('/')
  check(await page.locator('[data-test=search-box]').evaluate((el) => el === document.activeElement), '/ focuses the box')
  await page.keyboard.type('trace trees type specialization')
  await page.keyboard.press('Enter')
  await page.waitForURL(/q=trace/)
  await page.locator('[data-test=hits] li').first().waitFor()
  check((await page.locator('[data-test=hits] mark').count()) > 0, 'English snippets highlight matches')
  await shot('03-search-en')
  await page.locator('[data-test=search-box]').press('ArrowDown')
  const firstHit = page.locator('a.hit-link').first()
  check(await firstHit.evaluate((el) => el === document.activeElement), 'ArrowDown moves to the first hit')
  const hitPage = (await firstHit.locator('.hit-page').textContent())?.match(/\d+/)?.[0]
  check(hitPage, 'the hit names its page')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/documents\/.+chunk=\d+/)
  check(page.url().includes(`page=${hitPage}`), `the document opens at page ${hitPage}: ${page.url()}`)
  const target = page.locator('.chunk.target')
  await target.waitFor()
  check((await target.textContent()).includes(`Page ${hitPage}`), 'the target chunk is on the cited page')
  check(await target.isVisible(), 'the target chunk is in view')
  await shot('04-document', false)
  await page.locator('[data-test=edit]').click()
  await page.locator('input[name=tags]').fill('jit, tracing')
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText('Saved.').waitFor()
  check((await page.locator('dl.meta').textContent()).includes('jit, tracing'), 'edited tags are shown')

  step = 'search in Chinese'
  await page.goto(`${BASE}/search?q=${encodeURIComponent('有理数集的分割')}`)
  await page.locator('[data-test=hits] li').first().waitFor()
  const zhText = await page.locator('[data-test=hits]').textContent()
  check(zhText.includes('有理数'), `a Chinese hit: ${zhText.slice(0, 200)}`)
  await shot('05-search-zh')

  step = 'API key: create, use, revoke'
  await page.getByRole('link', { name: 'API keys' }).click()
  // Views load lazily: use a page's form only once the router has shown that page.
  await page.waitForURL(/\/keys$/)
  await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor()
  await page.getByLabel('Name').fill('e2e key')
  await page.getByRole('button', { name: 'Create key' }).click()
  const secret = (await page.locator('[data-test=secret]').textContent()).trim()
  check(secret.startsWith('aidoc_'), 'the secret is shown once')
  const mcp = await page.locator('[data-test=mcp-config]').textContent()
  check(mcp.includes(`${BASE}/mcp`) && mcp.includes(`Bearer ${secret}`), 'the MCP configuration names /mcp and the key')
  check((await fetch(`${BASE}/api/v1/documents`, { headers: { 'x-api-key': secret } })).status === 200, 'the new key works')
  await shot('06-keys')
  await page.locator('tr[data-key="e2e key"]').getByRole('button', { name: /Revoke/ }).click()
  await page.locator('tr[data-key="e2e key"] [data-test=revoked]').waitFor()
  check((await fetch(`${BASE}/api/v1/documents`, { headers: { 'x-api-key': secret } })).status === 401, 'the revoked key is refused')
  log('key created and revoked')

  step = 'other pages'
  await page.getByRole('link', { name: 'Categories & tags' }).click()
  // The keys page has a Name field and a "Create key" button too.
  await page.waitForURL(/\/categories$/)
  await page.getByRole('heading', { name: 'Categories & tags', level: 1 }).waitFor()
  await page.getByLabel('Name').first().fill('Manuals')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await page.getByRole('link', { name: 'Manuals' }).waitFor()
  await shot('07-categories')
  await page.getByRole('link', { name: 'Users' }).click()
  await page.waitForURL(/\/users$/)
  await page.getByRole('cell', { name: ADMIN, exact: true }).first().waitFor()
  await shot('08-users')
  await page.getByRole('link', { name: 'Audit log' }).click()
  await page.getByText('document.create').first().waitFor()
  await shot('09-audit')

  step = 'the monitor shows the traffic, ingest and usage of this run'
  await page.getByRole('link', { name: 'Monitor' }).click()
  await page.waitForURL(/\/monitor$/)
  await page.locator('[data-test=services]').waitFor()
  const serving = page.locator('[data-test=services] tbody tr[data-service] .badge[data-status=serving]')
  const services = await page.locator('[data-test=services] tbody tr[data-service]').evaluateAll((rows) => rows.map((r) => r.dataset.service).sort())
  check(services.join(' ') === 'api backup gateway indexer parser', `the services table lists the five services: ${services}`)
  check((await serving.count()) === 5, `all five services are serving (${await serving.count()})`)
  // The gateway hands its figures to the api every second: at most a refresh or two.
  const rate = page.locator('[data-chart="Request rate"]')
  for (let i = 0; i < 10 && !((await rate.getAttribute('data-nonzero')) ?? '').split(' ').includes('search'); i++) {
    await page.waitForTimeout(1000)
    await page.locator('[data-test=refresh]').click()
  }
  check(((await rate.getAttribute('data-nonzero')) ?? '').split(' ').includes('search'), 'the search group has requests')
  check(((await page.locator('[data-chart="Parse and embed throughput"]').getAttribute('data-nonzero')) ?? '').includes('pages'), 'pages were parsed in this window')
  const activity = await page.locator('[data-chart="Uploads and searches per day"] [data-test=chart-summary]').textContent()
  const uploadsToday = Number(activity.match(/Uploads: latest (\d+)/)?.[1] ?? 0)
  check(uploadsToday >= 2, `today's uploads are counted (${activity})`)
  check(Number((await page.locator('[data-tile=active] .tile-value').textContent()).trim()) >= 1, 'an active user in the last 24 hours')
  // The canvases are really drawn on.
  const painted = await page.locator('[data-chart] canvas').evaluateAll((cs) =>
    cs.map((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n
    }),
  )
  check(painted.length === 7 && painted.every((n) => n > 500), `seven charts with pixels drawn: ${painted}`)
  await shot('15-monitor')
  const day = page.waitForResponse((r) => r.url().includes('/api/v1/monitor/traffic?window=86400') && r.status() === 200)
  await page.locator('[data-test=window]').selectOption('86400')
  await day
  await page.locator('[data-test=services]').waitFor()
  await page.setViewportSize({ width: 390, height: 844 })
  await page.waitForTimeout(600)
  const monitorOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  check(monitorOverflow <= 1, `no sideways scrolling on the monitor at phone width (overflow ${monitorOverflow}px)`)
  await shot('16-monitor-phone')
  await page.setViewportSize({ width: 1280, height: 860 })
  log('monitor checked')

  step = 'switch language, remembered across a reload (session kept by the cookie)'
  await page.locator('[data-test=lang]').selectOption('zh')
  await page.getByRole('link', { name: '文档库' }).waitFor()
  check((await page.locator('html').getAttribute('lang')) === 'zh-CN', 'html lang follows')
  await page.getByRole('link', { name: '文档库' }).click()
  // the router navigates after the click returns: reload only once the address is the library's
  await page.waitForURL(/\/library$/)
  await page.reload()
  await page.getByRole('heading', { name: '文档库' }).waitFor()
  check(page.url().endsWith('/library'), 'still signed in after a reload')
  await shot('10-library-zh')
  await page.locator('[data-test=lang]').selectOption('en')

  step = 'phone width'
  await page.setViewportSize({ width: 390, height: 844 })
  await page.getByRole('heading', { name: 'Library' }).waitFor()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  check(overflow <= 1, `no sideways scrolling at phone width (overflow ${overflow}px)`)
  await shot('11-library-phone')
  await page.setViewportSize({ width: 1280, height: 860 })

  step = 'a viewer sees no upload, delete or edit controls, and the API refuses an upload'
  const adminToken = await apiLogin(ADMIN, ADMIN_PW)
  const created = await fetch(`${BASE}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ username: VIEWER, password: VIEWER_PW, role: 'viewer' }),
  })
  check(created.status === 201, `viewer created (${created.status})`)
  await page.locator('[data-test=signout]').click()
  await page.waitForURL(/\/signin/)
  check(!(await context.cookies()).some((c) => c.name === 'aidoc_refresh'), 'sign-out clears the refresh cookie')
  await page.getByLabel('User name').fill(VIEWER)
  await page.getByLabel('Password').fill(VIEWER_PW)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/library$/)
  await page.locator(`tr[data-doc="${basename(PDF)}"]`).waitFor()
  check((await page.locator('[data-test=dropzone], [data-test=file-input]').count()) === 0, 'no upload control for a viewer')
  check((await page.locator('table.docs input[type=checkbox]').count()) === 0, 'no bulk selection for a viewer')
  await shot('12-library-viewer')
  await page.locator(`tr[data-doc="${basename(PDF)}"] a`).click()
  await page.getByRole('button', { name: 'Download original' }).waitFor()
  check((await page.locator('[data-test=delete], [data-test=edit]').count()) === 0, 'no delete or edit for a viewer')
  await shot('13-document-viewer', false)
  const viewerToken = await apiLogin(VIEWER, VIEWER_PW)
  const form = new FormData()
  form.append('file', new Blob([readFileSync(PDF)], { type: 'application/pdf' }), 'forced.pdf')
  const forced = await fetch(`${BASE}/api/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${viewerToken}` }, body: form })
  check(forced.status === 403, `a viewer's forced upload is refused with 403 (got ${forced.status})`)
  check((await page.getByRole('link', { name: 'Monitor' }).count()) === 0, 'no Monitor link for a viewer')
  const monitorAsViewer = await fetch(`${BASE}/api/v1/monitor/traffic`, { headers: { authorization: `Bearer ${viewerToken}` } })
  check(monitorAsViewer.status === 403, `the monitor API refuses a viewer with 403 (got ${monitorAsViewer.status})`)
  await page.goto(`${BASE}/monitor`)
  await page.waitForURL(/\/library$/)

  step = "an admin resets the viewer's password; the old one is refused, the new one works"
  await page.locator('[data-test=signout]').click()
  await page.waitForURL(/\/signin/)
  await page.getByLabel('User name').fill(ADMIN)
  await page.getByLabel('Password').fill(ADMIN_PW)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/library$/)
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByRole('button', { name: `Reset password for ${VIEWER}` }).click()
  const dialog = page.getByRole('dialog', { name: `New password for ${VIEWER}` })
  await dialog.waitFor()
  await dialog.getByLabel('New password', { exact: true }).fill('too-short')
  await dialog.getByLabel('New password again').fill('too-short')
  await dialog.getByRole('button', { name: 'Set password' }).click()
  await dialog.getByText('The password needs at least 12 characters.').waitFor()
  await dialog.getByLabel('New password', { exact: true }).fill(VIEWER_PW2)
  await dialog.getByLabel('New password again').fill(VIEWER_PW2)
  await shot('14-users-reset', false)
  await dialog.getByRole('button', { name: 'Set password' }).click()
  await page.getByText(`The password of ${VIEWER} was changed`).waitFor()
  check(!(await dialog.isVisible()), 'the dialog closes after the reset')
  const stale = await fetch(`${BASE}/api/v1/documents`, { headers: { authorization: `Bearer ${viewerToken}` } })
  check(stale.status === 401, `the viewer's session ended with the reset (got ${stale.status})`)
  const old = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: VIEWER, password: VIEWER_PW }),
  })
  check(old.status === 401, `the old password is refused (got ${old.status})`)
  await page.locator('[data-test=signout]').click()
  await page.waitForURL(/\/signin/)
  await page.getByLabel('User name').fill(VIEWER)
  await page.getByLabel('Password').fill(VIEWER_PW)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText('The user name or password is wrong.').waitFor()
  await page.getByLabel('Password').fill(VIEWER_PW2)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/library$/)
  log('password reset: old refused, new accepted')

  step = 'no console errors or CSP violations'
  check(problems.length === 0, problems.join('\n'))
  log('all checks passed')
} catch (e) {
  console.error(`e2e failed at "${step}": ${e.message}`)
  for (const p of problems) console.error(p)
  await shot('failure').catch(() => {})
  process.exitCode = 1
} finally {
  await context.close()
  rmSync(profile, { recursive: true, force: true })
}
