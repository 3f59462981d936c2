// Simulation worker for Node's worker_threads.
import { parentPort } from 'node:worker_threads';
import '../node.js';
import { serveSimulation, type WorkerRequest } from './worker-core.js';

const port = parentPort!;
serveSimulation((handler) => port.on('message', (m: WorkerRequest) => handler(m)), (m) => port.postMessage(m), () => port.close());
