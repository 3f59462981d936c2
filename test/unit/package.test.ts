/**
 * The package's metadata as the registry and a new user's tools read it: the license file the
 * `license` field names, shipped; `bin` without a leading "./" (npm rewrites it and warns); the
 * changelog shipped; `engines` at the Node version whose `require` loads ES modules; every file
 * `files` lists exists after a build; the build starts from an empty dist, so a pack ships no file
 * that the current sources do not build; every relative link of the shipped documents reaches a
 * shipped file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  license: string; bin: Record<string, string>; files: string[]; engines: { node: string }; version: string; scripts: Record<string, string>;
};

describe('package metadata', () => {
  it('the Apache-2.0 license the package names is the LICENSE file it ships', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(new URL('LICENSE', root), 'utf8');
    expect(text).toContain('Apache License');
    expect(text).toContain('Version 2.0, January 2004');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
    expect(pkg.files).toContain('LICENSE');
  });

  it('bin paths have no leading "./" and point at built files', () => {
    for (const [name, path] of Object.entries(pkg.bin)) {
      expect(path.startsWith('./'), name).toBe(false);
      expect(existsSync(new URL(path, root)), path).toBe(true);
    }
  });

  it('a changelog is shipped and names the version', () => {
    expect(pkg.files).toContain('CHANGELOG.md');
    expect(readFileSync(new URL('CHANGELOG.md', root), 'utf8')).toContain(`## ${pkg.version}`);
  });

  it('engines asks for the Node whose require loads ES modules (20.19), and every listed file exists', () => {
    expect(pkg.engines.node).toBe('>=20.19');
    for (const f of pkg.files) expect(existsSync(new URL(f, root)), f).toBe(true);
  });

  it('the build starts from an empty dist: every built module under dist/src has its source in src/', () => {
    expect(pkg.scripts['build']!.split(' && ')[0]).toBe('npm run clean');
    expect(pkg.scripts['clean']).toContain("rmSync('dist', { recursive: true, force: true })");
    const built = (readdirSync(new URL('dist/src/', root), { recursive: true }) as string[]).filter((f) => /\.(js|d\.ts)(\.map)?$/.test(f));
    expect(built.length).toBeGreaterThan(0);
    const orphans = built.filter((f) => !existsSync(new URL(`src/${f.replace(/\.(js|d\.ts)(\.map)?$/, '.ts')}`, root)));
    expect(orphans).toEqual([]);
  });
});

/** What `npm pack` would put in the tarball (paths relative to the package root). */
function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: fileURLToPath(root), encoding: 'utf8' });
  const [packed] = JSON.parse(out) as { files: { path: string }[] }[];
  return new Set(packed!.files.map((f) => f.path));
}

describe('links in the shipped documents', () => {
  // The registry's page shows README.md with no repository to resolve relative links against: a
  // relative link works there (and in node_modules) only when its target ships in the package.
  it('every relative link of README.md and docs/ points at a file the package ships', () => {
    const shipped = packedFiles();
    const documents = ['README.md', ...[...shipped].filter((f) => f.endsWith('.md') && f !== 'README.md')];
    const missing: string[] = [];
    let links = 0;
    for (const doc of documents) {
      const text = readFileSync(new URL(doc, root), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
        links++;
        const path = posix.normalize(posix.join(posix.dirname(doc), target.split('#')[0]!));
        const isDir = target.split('#')[0]!.endsWith('/');
        const found = isDir ? [...shipped].some((f) => f.startsWith(path.endsWith('/') ? path : `${path}/`)) : shipped.has(path);
        if (!found) missing.push(`${doc}: ${target}`);
      }
    }
    expect(links).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  }, 60_000);
});
