// Entry for esbuild, which copies no asset by itself: `riskcore/riskcore.wasm` comes in through the
// `file` loader (a URL relative to the bundle) and `riskcore/worker` is an entry point of its own,
// built next to this one as riskcore-worker.js.
import * as riskcore from 'riskcore';
import wasmFile from 'riskcore/riskcore.wasm';
import { runAndShow } from './app.js';

await runAndShow(riskcore, {
  wasm: new URL(wasmFile, import.meta.url),
  worker: new URL('./riskcore-worker.js', import.meta.url),
});
