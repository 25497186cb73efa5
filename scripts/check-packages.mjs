#!/usr/bin/env node
// Checks the published shape of every public package, as `pnpm publish` would ship it: packs each
// one (pnpm rewrites `workspace:` and `catalog:` ranges), then
//  - runs @arethetypeswrong/cli on the tarball: types must resolve, with no problem, under node10,
//    node16 from CommonJS, node16 from ESM and bundler, for every subpath of its `exports`;
//  - checks the tarball holds LICENSE, README.md and every file the `exports` map names;
//  - checks the package.json fields a registry page and `npm install` need: license, repository
//    (with its directory), homepage, bugs, keywords, `publishConfig.access: public`, engines, no
//    `workspace:`/`catalog:` range left, and a `@tensorflow/tfjs-core` peer range (not one version).
// Run from the repository root after `pnpm build`: `pnpm check:packages`. Exits 1 on any problem.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const PACKAGES = ['data', 'kernels', 'model', 'trainer', 'cli'];
const attw = join(root, 'node_modules', '.bin', 'attw');
const work = mkdtempSync(join(tmpdir(), 'cf-check-packages-'));
const problems = [];
const fail = (name, what) => problems.push(`${name}: ${what}`);

/** Every file path an `exports` map points to. */
function exportTargets(exportsField) {
  if (typeof exportsField === 'string') return [exportsField];
  return Object.values(exportsField ?? {}).flatMap(exportTargets);
}

try {
  for (const dir of PACKAGES) {
    const pkgDir = join(root, 'packages', dir);
    const dest = join(work, dir);
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: pkgDir, stdio: 'ignore' });
    const [tarball] = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['xzf', tarball], { cwd: dest });
    const manifest = JSON.parse(readFileSync(join(dest, 'package', 'package.json'), 'utf8'));
    const name = manifest.name;
    const files = new Set(
      execFileSync('tar', ['tzf', tarball], { cwd: dest, encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((f) => f.replace(/^package\//, '')),
    );

    // 1. Types resolve for every consumer.
    let report;
    try {
      report = execFileSync(attw, [join(dest, tarball), '--format', 'json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      report = error.stdout; // attw exits 1 when it finds problems; the JSON says which
    }
    const { analysis } = JSON.parse(report);
    for (const problem of analysis.problems ?? [])
      fail(
        name,
        `attw: ${problem.kind} (${problem.entrypoint ?? ''} ${problem.resolutionKind ?? ''})`,
      );
    const entrypoints = Object.keys(analysis.entrypoints ?? {});
    for (const key of Object.keys(manifest.exports))
      if (!entrypoints.includes(key)) fail(name, `attw did not check the export ${key}`);

    // 2. The tarball's files.
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json'])
      if (!files.has(file)) fail(name, `the tarball has no ${file}`);
    for (const target of exportTargets(manifest.exports)) {
      const file = target.replace(/^\.\//, '');
      if (!files.has(file)) fail(name, `exports names ${target}, which the tarball lacks`);
    }
    for (const field of ['main', 'module', 'types'])
      if (!files.has(String(manifest[field]).replace(/^\.\//, '')))
        fail(name, `"${field}": ${manifest[field]} is not in the tarball`);

    // 3. Registry metadata.
    if (manifest.license !== 'MIT') fail(name, 'license is not MIT');
    if (!manifest.repository?.url || manifest.repository.directory !== `packages/${dir}`)
      fail(name, 'repository.url and repository.directory are required');
    if (!manifest.homepage) fail(name, 'homepage is missing');
    if (!manifest.bugs?.url) fail(name, 'bugs.url is missing');
    if (!Array.isArray(manifest.keywords) || manifest.keywords.length < 3)
      fail(name, 'keywords are missing');
    if (manifest.publishConfig?.access !== 'public')
      fail(name, 'publishConfig.access must be "public" for a scoped package');
    if (manifest.engines?.node !== '>=20') fail(name, 'engines.node must be ">=20"');
    const ranges = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const [dep, range] of Object.entries(ranges))
      if (/^(workspace|catalog):/.test(range)) fail(name, `${dep} keeps the range ${range}`);
    const tfjsPeer = manifest.peerDependencies?.['@tensorflow/tfjs-core'];
    if (tfjsPeer !== undefined && /^\d+\.\d+\.\d+$/.test(tfjsPeer))
      fail(name, `@tensorflow/tfjs-core is pinned to ${tfjsPeer}: declare the tested range`);

    console.log(
      `${name}@${manifest.version}: ${files.size} files; attw: ${entrypoints.join(', ')} ` +
        `checked under node10, node16 (CJS and ESM) and bundler`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems.length) {
  console.error(`\n${problems.length} problem(s) in the published packages:`);
  for (const p of problems) console.error(`  ✗ ${p}`);
  process.exit(1);
}
console.log(`ok: ${PACKAGES.length} packages: attw clean, LICENSE and metadata in every tarball`);
