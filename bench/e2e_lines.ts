/**
 * A child process's output as lines: drained continuously (so the pipe never blocks it),
 * the last ones kept, each handed to an optional callback.
 * @module
 */

const KEEP = 50;

/** Drains a stream of lines, keeping the last 50 and letting callers wait for a pattern. */
export class LineTail {
  #lines: string[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  #onLine: ((line: string) => void) | undefined;
  /** Settles once the stream has ended. */
  readonly done: Promise<void>;

  /** Starts draining `stream`; `onLine` sees every line as it arrives. */
  constructor(stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void) {
    this.#onLine = onLine;
    this.done = this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true });
        const parts = (rest + text).split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) this.#add(line);
        this.#wake?.();
      }
    } catch {
      /* the process went away */
    } finally {
      if (rest) this.#add(rest);
      this.#ended = true;
      this.#wake?.();
    }
  }

  #add(line: string): void {
    this.#onLine?.(line);
    this.#lines.push(line);
    if (this.#lines.length > 4 * KEEP) this.#lines.splice(0, this.#lines.length - KEEP);
  }

  /** The last lines, joined. */
  tail(): string {
    return this.#lines.slice(-KEEP).join("\n");
  }

  /** Resolves with the first kept line matching `re`; rejects on end of stream or after `ms`. */
  async waitFor(re: RegExp, ms: number): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      for (const line of this.#lines) {
        const m = re.exec(line);
        if (m) return m;
      }
      if (this.#ended) throw new Error(`Process ended before logging ${re}: ${this.tail()}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`No ${re} in the log within ${ms} ms: ${this.tail()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}
