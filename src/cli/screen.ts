// Live output: on a terminal a block of lines redrawn in place (status, a table), with log
// lines printed above it; elsewhere (a pipe, a file, CI) nothing is redrawn and callers print
// plain lines instead.

/** Where live output goes. */
export interface ScreenStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** A block of lines redrawn in place on a terminal. */
export class Screen {
  /** Whether the stream is a terminal (redrawing works). */
  readonly live: boolean;
  private shown: string[] = [];

  constructor(private readonly out: ScreenStream, private readonly logs: ScreenStream = out) {
    this.live = out.isTTY === true;
  }

  /** Replaces the block with `lines` (terminal only; a no-op elsewhere). */
  draw(lines: readonly string[]): void {
    if (!this.live) return;
    const width = Math.max(20, (this.out.columns || 120) - 1);
    // Up to the block's first line, then each line cleared and rewritten; leftovers cleared.
    let text = this.shown.length > 0 ? `\x1b[${this.shown.length}F` : "";
    for (const line of lines) text += `\x1b[2K${line.length > width ? line.slice(0, width) : line}\n`;
    if (lines.length < this.shown.length) text += "\x1b[J";
    this.out.write(text);
    this.shown = [...lines];
  }

  /** A line that stays, printed above the block (to the log stream). */
  log(line: string): void {
    if (!this.live || this.shown.length === 0) {
      this.logs.write(`${line}\n`);
      return;
    }
    const kept = this.shown;
    this.clear();
    this.logs.write(`${line}\n`);
    this.draw(kept);
  }

  /** Removes the block (before the process prints its last words). */
  clear(): void {
    if (!this.live || this.shown.length === 0) return;
    this.out.write(`\x1b[${this.shown.length}F\x1b[J`);
    this.shown = [];
  }

  /** Leaves the block on screen as it is and stops redrawing it. */
  release(): void {
    this.shown = [];
  }
}

/** 1234567 → "1,234,567". */
export const count = (n: number): string => Math.round(n).toLocaleString("en-US");

/** Local wall time hh:mm:ss for log lines. */
export function clock(ms = Date.now()): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
