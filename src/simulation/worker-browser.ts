// Simulation worker for browsers (a module Web Worker).
import '../browser.js';
import { serveSimulation, type WorkerReply, type WorkerRequest } from './worker-core.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null; postMessage(m: WorkerReply): void; close(): void };
serveSimulation((handler) => { scope.onmessage = (e) => handler(e.data); }, (m) => scope.postMessage(m), () => scope.close());
