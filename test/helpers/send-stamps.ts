// When each subscribe/unsubscribe message left each socket: the pacing as it happened, for
// the tests and the ingest benchmark alike. The server's stamps are taken when its event loop
// gets to a message, which under load can be hundreds of ms late and bunch messages together.
import WebSocket from "ws";

/** Stamps (Date.now) every subscribe/unsubscribe message ws sends, per socket, until stop(). */
export function recordSends(): { sent: Map<WebSocket, number[]>; stop: () => void } {
  const sent = new Map<WebSocket, number[]>();
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
    if (typeof data === "string" && /^\{"t":"(t|u|d|ud)"/.test(data)) {
      let list = sent.get(this);
      if (list === undefined) sent.set(this, (list = []));
      list.push(Date.now());
    }
    return (send as (...a: unknown[]) => void).call(this, data, ...rest);
  } as typeof send;
  return { sent, stop: () => { WebSocket.prototype.send = send; } };
}

/** The most stamps within any 1 000 ms. */
export function mostInASecond(stamps: readonly number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < stamps.length; i++) {
    while (stamps[i]! - stamps[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Sockets on which more than `perSecond` messages left within 1 000 ms: "socket k: message i". */
export function overRate(sent: Map<WebSocket, number[]>, perSecond: number): string[] {
  const bad: string[] = [];
  let k = 0;
  for (const stamps of sent.values()) {
    for (let i = perSecond; i < stamps.length; i++) if (stamps[i]! - stamps[i - perSecond]! < 1000) bad.push(`socket ${k}: message ${i} within a second of message ${i - perSecond}`);
    k++;
  }
  return bad;
}
