// One output stream of a supervised process: split into lines, appended to a file in the
// node's directory, and the most recent lines kept in memory (Zeek's
// Management::Supervisor::output_max_lines sliding window) for notify_node_exit.

import * as fs from 'node:fs';

export class OutputLines {
  private lines: string[] = [];
  private partial = '';
  private fd: number | null = null;

  constructor(private readonly maxLines: number, private readonly echo?: (line: string) => void) {}

  /** Starts a new process life: truncates the file (when a path is given) and forgets old lines. */
  open(file: string | null): void {
    this.close();
    this.lines = [];
    this.partial = '';
    if (file) {
      try {
        this.fd = fs.openSync(file, 'w');
      } catch {
        this.fd = null;
      }
    }
  }

  write(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  }

  /** Adds a line that did not come from the process itself (e.g. a failure to launch it). */
  line(line: string): void {
    if (this.fd !== null) {
      try {
        fs.writeSync(this.fd, line + '\n');
      } catch {
        // The directory may be gone; keep the in-memory window regardless.
      }
    }
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
    this.echo?.(line);
  }

  /** Flushes an unterminated last line. */
  flush(): void {
    if (this.partial !== '') {
      const p = this.partial;
      this.partial = '';
      this.line(p);
    }
  }

  /** The kept lines joined with newlines, as Zeek's shim joins them. */
  text(): string {
    return this.lines.join('\n');
  }

  /** A copy of the kept lines. */
  recent(): string[] {
    return this.lines.slice();
  }

  get count(): number {
    return this.lines.length;
  }

  close(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
  }
}
