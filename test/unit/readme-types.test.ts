/**
 * The package's types as a TypeScript user meets them: `npm pack` of this repository is unpacked as
 * node_modules/riskcore of a fresh project, which the TypeScript compiler (its API) checks with
 * `skipLibCheck: false`, `strict` and `noUncheckedIndexedAccess` under two configurations:
 *
 *   - Node: `lib: ["es2022"]`, `types: ["node"]`, module and resolution NodeNext (an ES module
 *     package), no DOM and no WebAssembly types but what @types/node declares;
 *   - browser: `lib: ["es2022", "dom"]`, `types: []`, resolution `bundler`, without
 *     `esnext.disposable`.
 *
 * What is checked, under each:
 *   - a module that only imports 'riskcore': every declaration it reaches compiles;
 *   - with `esnext.disposable` added to lib, a module `using` an engine: the package's own
 *     declaration of `Symbol.dispose` (for projects without that lib) merges with the lib's and
 *     @types/node's;
 *   - every shipped declaration file (dist/src/**\/*.d.ts); dist/src/cli/ (the command line, whose
 *     declarations name node: modules) under Node only;
 *   - every ```ts, ```typescript and ```js block of README.md and docs/*.md, each as a module of its
 *     own, reported by the Markdown file and line of the snippet line at fault.
 *
 * Rules for snippets. Each is self-contained: it imports what it uses and defines what it reads (no
 * snippet continues an earlier one), so a reader can paste any one of them. A snippet that imports a
 * `node:` module or a build tool (esbuild, vite) is Node-only. A block may hold several files, each
 * starting with a comment line naming it (`// build.mjs`, `// src/main.js`): each is a module of its
 * own. The project declares `*.wasm` imports as esbuild's `file` loader makes them (a string: the
 * emitted file's path), with the declaration the README tells the esbuild recipe's user to write (taken from it).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The two configurations of a user's tsconfig.json (as JSON: the compiler parses them as it would the file). */
const CONFIGS = {
  node: { lib: ['es2022'], types: ['node'], module: 'NodeNext', moduleResolution: 'NodeNext' },
  browser: { lib: ['es2022', 'dom'], types: [], module: 'ESNext', moduleResolution: 'bundler' },
} as const;
type ConfigName = keyof typeof CONFIGS;
const COMMON = { target: 'es2022', strict: true, noUncheckedIndexedAccess: true, skipLibCheck: false, noEmit: true };

/** One module cut out of a Markdown file: where it starts (the line of its first line) and its text. */
interface Snippet { markdown: string; firstLine: number; text: string; nodeOnly: boolean }

/** The ```ts / ```typescript / ```js blocks of a Markdown file, split into modules at `// name.ext` lines. */
function snippetsOf(markdown: string, source: string): Snippet[] {
  const lines = source.split('\n'), out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript|js)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    // A block holding several files names each on a line of its own: `// build.mjs`, `// src/main.js`.
    const cuts = [start];
    for (let k = start + 1; k < end; k++) if (/^\/\/ [\w./-]+\.[cm]?[jt]s\s*$/.test(lines[k]!)) cuts.push(k);
    cuts.push(end);
    for (let c = 0; c + 1 < cuts.length; c++) {
      const text = lines.slice(cuts[c], cuts[c + 1]).join('\n') + '\n';
      const nodeOnly = /from ['"](node:|esbuild['"]|vite['"])/.test(text);
      out.push({ markdown, firstLine: cuts[c]! + 1, text, nodeOnly });
    }
    i = end;
  }
  return out;
}

let project: string;
let snippets: Snippet[];
/** The snippet files of the project, by absolute path. */
const snippetFiles = new Map<string, Snippet>();

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'riskcore-types-'));
  // The package as npm would install it: its "files" only.
  const pkg = join(project, 'node_modules', 'riskcore');
  await mkdir(pkg, { recursive: true });
  const packed = await run('npm', ['pack', '--pack-destination', project, '--ignore-scripts', '--silent'], { cwd: ROOT });
  await run('tar', ['-xzf', join(project, packed.stdout.trim().split('\n').pop()!), '-C', pkg, '--strip-components=1']);
  // What a user's project also installs: Node's types, and esbuild for the bundler recipe.
  await mkdir(join(project, 'node_modules', '@types'), { recursive: true });
  await symlink(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
  await symlink(join(ROOT, 'node_modules', 'esbuild'), join(project, 'node_modules', 'esbuild'), 'dir');
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // The declaration the README's esbuild recipe tells a TypeScript project to write, taken from it.
  const declaration = /`(declare module '\*\.wasm' \{[^`]*\})`/.exec(await readFile(join(ROOT, 'README.md'), 'utf8'))?.[1];
  expect(declaration, 'the README shows the *.wasm declaration for the esbuild recipe').toBeDefined();
  await writeFile(join(project, 'assets.d.ts'), `${declaration}\n`);
  await writeFile(join(project, 'only-import.ts'), "import * as riskcore from 'riskcore';\nexport type Package = typeof riskcore;\n");
  await writeFile(join(project, 'using.ts'), [
    "import { RiskEngine } from 'riskcore';",
    'export async function accounts(): Promise<number> {',
    '  using engine = await RiskEngine.create({ maxAccounts: 10 });',
    '  const other = await RiskEngine.create({ maxAccounts: 10 });',
    '  other[Symbol.dispose]();',
    '  return engine.capacity.accounts;',
    '}',
  ].join('\n'));

  const docs = (await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  snippets = [];
  for (const markdown of ['README.md', ...docs]) snippets.push(...snippetsOf(markdown, await readFile(join(ROOT, markdown), 'utf8')));
  await mkdir(join(project, 'snippets'));
  for (const s of snippets) {
    const file = join(project, 'snippets', `${s.markdown.replace(/\W/g, '_')}_${s.firstLine}.ts`);
    snippetFiles.set(file, s);
    await writeFile(file, s.text);
  }
}, 60_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

/**
 * The compiler's errors for `roots` under a configuration, one line each: `file:line:column TSnnnn
 * message`, where a snippet's file is its Markdown file and line, and the package's files are named
 * inside node_modules/riskcore.
 */
function typeErrors(config: ConfigName, roots: string[], extraLib: string[] = []): string[] {
  const json = { ...COMMON, ...CONFIGS[config], lib: [...CONFIGS[config].lib, ...extraLib] };
  const { options, errors } = ts.convertCompilerOptionsFromJson(json, project);
  expect(errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n'))).toEqual([]);
  const program = ts.createProgram({ rootNames: roots, options });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    if (!d.file || d.start === undefined) return message;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const snippet = snippetFiles.get(d.file.fileName);
    const where = snippet ? `${snippet.markdown}:${snippet.firstLine + line}` : `${relative(project, d.file.fileName)}:${line + 1}`;
    return `${where}:${character + 1} ${message}`;
  });
}

/** Every .d.ts under a folder of the unpacked package. */
async function declarations(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.d.ts')).map((e) => join(e.parentPath, e.name)).sort();
}

describe.each(Object.keys(CONFIGS) as ConfigName[])('types under the %s configuration (strict, skipLibCheck false)', (config) => {
  it('a module that only imports riskcore compiles', () => {
    expect(typeErrors(config, [join(project, 'only-import.ts')])).toEqual([]);
  }, 60_000);

  it('with esnext.disposable added to lib, `using` an engine compiles (the package\'s Symbol.dispose merges with the lib\'s)', () => {
    expect(typeErrors(config, [join(project, 'using.ts')], ['esnext.disposable'])).toEqual([]);
  }, 60_000);

  it('every shipped declaration file compiles (the command line\'s under Node only)', async () => {
    const dist = join(project, 'node_modules', 'riskcore', 'dist', 'src');
    const files = (await declarations(dist)).filter((f) => config === 'node' || !f.startsWith(join(dist, 'cli') + sep));
    expect(files.length).toBeGreaterThan(40);
    expect(typeErrors(config, files)).toEqual([]);
  }, 60_000);

  it('every README and docs snippet compiles, each as a module of its own', () => {
    const roots = [...snippetFiles].filter(([, s]) => config === 'node' || !s.nodeOnly).map(([file]) => file);
    expect(roots.length).toBeGreaterThanOrEqual(config === 'node' ? 8 : 7);
    expect(typeErrors(config, [join(project, 'assets.d.ts'), ...roots])).toEqual([]);
  }, 60_000);
});
