// Entry for the unbundled page (plain.html, an import map for 'riskcore'): `?wasm=` is passed as
// the `wasm` option when given, so a test can point it at a missing file.
import { runAndShow } from './app.js';

const wasm = new URL(location.href).searchParams.get('wasm');
await runAndShow(wasm === null ? {} : { wasm });
