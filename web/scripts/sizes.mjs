// Prints the size of every built file, raw and gzipped, and fails when the
// JavaScript the first page loads exceeds the budget.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const dist = new URL('../dist/', import.meta.url).pathname
const BUDGET = 200 * 1024

const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else files.push(p)
  }
}
walk(dist)

const gz = (p) => gzipSync(readFileSync(p)).length
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`
for (const p of files.sort()) {
  console.log(`${relative(dist, p).padEnd(48)} ${kb(statSync(p).size).padStart(11)}  gzip ${kb(gz(p)).padStart(10)}`)
}

// The initial load: scripts and module preloads referenced by index.html.
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => join(dist, m[1]))
const total = initial.reduce((n, p) => n + gz(p), 0)
console.log(`initial JavaScript: ${initial.length} file(s), ${kb(total)} gzipped (budget ${kb(BUDGET)})`)
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html) || /<style/.test(html) || /\sstyle="/.test(html)) {
  console.error('index.html has inline script or style: the Content-Security-Policy would block it')
  process.exit(1)
}
if (total > BUDGET) {
  console.error('initial JavaScript is over budget')
  process.exit(1)
}
