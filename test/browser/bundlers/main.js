// Entry for Vite and webpack: no options; the bundler copies riskcore.wasm and bundles the worker.
import * as riskcore from 'riskcore';
import { runAndShow } from './app.js';

await runAndShow(riskcore, {});
