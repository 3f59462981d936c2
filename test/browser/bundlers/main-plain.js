// Entry for the unbundled page (plain.html): the package's browser entry imported straight from the
// build, with no import map (dist/src/browser.js is one self-contained module). `?wasm=` is passed as
// the `wasm` option when given, so a test can point it at a missing file.
import * as riskcore from '/dist/src/browser.js';
import { runAndShow } from './app.js';

const wasm = new URL(location.href).searchParams.get('wasm');
await runAndShow(riskcore, wasm === null ? {} : { wasm });
