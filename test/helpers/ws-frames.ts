// Parses unmasked WebSocket frames (as a server writes them), independently of the server code.
export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Uint8Array;
}

export function parseFrames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at < bytes.length) {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    if (b1 & 0x80) throw new Error(`frame at ${at} is masked`);
    let n = b1 & 0x7f;
    let p = at + 2;
    if (n === 126) {
      n = (bytes[p]! << 8) | bytes[p + 1]!;
      p += 2;
    } else if (n === 127) {
      n = 0;
      for (let i = 0; i < 8; i++) n = n * 256 + bytes[p + i]!;
      p += 8;
    }
    if (p + n > bytes.length) throw new Error(`frame at ${at} runs past the end (${n} bytes)`);
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: bytes.subarray(p, p + n) });
    at = p + n;
  }
  return frames;
}
