// Runs dynalite on its own thread of this process, so the embedded DynamoDB uses a second core while the
// state machines and handlers run on the main one. Plain JavaScript: a worker loads it without a TS loader.
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(workerData.path ? { path: workerData.path } : {}) });
server.once('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') server.close(() => parentPort.close());
});
