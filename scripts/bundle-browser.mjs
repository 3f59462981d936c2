// The browser entry and the browser simulation worker as self-contained ES modules (`npm run build`'s
// last step, after tsc): src/browser.ts and src/simulation/worker-browser.ts are each bundled with
// everything they import, @assemblyscript/loader included, over the files tsc wrote
// (dist/src/browser.js, dist/src/simulation/worker-browser.js), with their source maps. A page or a
// module Web Worker then loads them with no import map (import maps do not reach workers).
//
// The bundles stay where tsc put the files, so their `new URL('<literal>', import.meta.url)` (the
// release core; the worker's script) keep pointing at the same files, and bundlers that rewrite that
// pattern still find them. The Node entry is not bundled: Node resolves the loader's bare name.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/browser.ts', 'src/simulation/worker-browser.ts'],
  outbase: 'src',
  outdir: 'dist/src',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  tsconfig: 'tsconfig.json',
  // The maps point at src/ (shipped in the package) rather than embedding it: a third of the size.
  sourcemap: true,
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
});

// A bundle that still imports anything (an import left external) would need an import map again.
const leftOver = Object.entries(result.metafile.outputs)
  .flatMap(([file, output]) => output.imports.filter((i) => i.external).map((i) => `${file}: ${i.path}`));
if (leftOver.length > 0) {
  console.error(`bundle-browser: the bundles must import nothing, but:\n  ${leftOver.join('\n  ')}`);
  process.exit(1);
}
