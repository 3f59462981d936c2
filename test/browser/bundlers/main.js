// Entry for Vite (and webpack): no options; the bundler copies riskcore.wasm and bundles the worker.
import { runAndShow } from './app.js';

await runAndShow({});
