// Entry for the unbundled page (plain.html): the package's browser entry imported straight from the
// build, with no import map (dist/src/browser.js is one self-contained module). `?wasm=` and
// `?worker=` are passed as the `wasm` and `worker` options when given, so a test can point them at
// missing files.
import * as riskcore from '/dist/src/browser.js';
import { runAndShow } from './app.js';

const params = new URL(location.href).searchParams;
const wasm = params.get('wasm'), worker = params.get('worker');
await runAndShow(riskcore, { ...(wasm === null ? {} : { wasm }), ...(worker === null ? {} : { worker: new URL(worker, location.href) }) });
