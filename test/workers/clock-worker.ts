import { parentPort } from "node:worker_threads";
import { monotonicNs } from "../../src/clock.js";
parentPort!.on("message", () => parentPort!.postMessage(monotonicNs()));
