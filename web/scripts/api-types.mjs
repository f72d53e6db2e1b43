// The TypeScript types of the REST API, generated from the committed OpenAPI
// document (docs/openapi.json) into src/api/schema.d.ts.
//
//   node scripts/api-types.mjs          regenerate src/api/schema.d.ts
//   node scripts/api-types.mjs --check  fail when the committed file is stale
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const web = new URL('..', import.meta.url).pathname
const spec = join(web, '../docs/openapi.json')
const target = join(web, 'src/api/schema.d.ts')
const bin = join(web, 'node_modules/.bin/openapi-typescript')

if (!existsSync(bin)) {
  console.error('openapi-typescript is not installed: run `npm ci` in web/ first.')
  process.exit(1)
}

function generate() {
  const dir = mkdtempSync(join(tmpdir(), 'aidoc-api-types-'))
  try {
    const out = join(dir, 'schema.d.ts')
    execFileSync(bin, [spec, '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] })
    return readFileSync(out, 'utf8')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const fresh = generate()
if (process.argv.includes('--check')) {
  let committed = ''
  try {
    committed = readFileSync(target, 'utf8')
  } catch {
    /* missing counts as stale */
  }
  if (committed !== fresh) {
    console.error(
      'web/src/api/schema.d.ts is not what docs/openapi.json generates: the API changed without the web types.\n' +
        'Run `cd web && npm run gen:api`, fix what `npm run build` then reports, and commit both.',
    )
    process.exit(1)
  }
  console.log('web/src/api/schema.d.ts matches docs/openapi.json')
} else {
  writeFileSync(target, fresh)
  console.log(`wrote ${target}`)
}
