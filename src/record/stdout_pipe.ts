/**
 * stdout as the `--pipe` writer. Closing it must give the reader EOF while the server goes
 * on, but `Deno.stdout.close()` leaves the file descriptor (and Deno's own duplicate of it)
 * open. So on Linux, closing points every descriptor of the stdout pipe at /dev/null.
 * @module
 */

import type { PipeWriter } from "./pipe_sink.ts";

/** `open(2)` flag for write-only. */
const O_WRONLY = 1;

/**
 * The process's stdout as a {@linkcode PipeWriter}. `close()` releases the pipe so its
 * reader gets EOF (Linux, needs `--allow-ffi`); it throws, saying why, where it cannot.
 * Writing after close goes to /dev/null.
 */
export function stdoutPipe(): PipeWriter {
  return {
    write: (p) => Deno.stdout.write(p),
    close: releaseStdout,
  };
}

/** Points every descriptor that shares stdout's pipe or socket at /dev/null. */
function releaseStdout(): void {
  const target = Deno.readLinkSync("/proc/self/fd/1");
  if (!target.startsWith("pipe:") && !target.startsWith("socket:")) return; // a file: no EOF due
  if (Deno.readLinkSync("/proc/self/fd/2") === target) {
    // `2>&1` or one journal socket: the logs hold the pipe open, and must not go to /dev/null.
    throw new Error("stderr shares stdout's pipe, so the reader gets EOF only at exit");
  }
  const libc = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    dup2: { parameters: ["i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  try {
    const devNull = libc.symbols.open(new TextEncoder().encode("/dev/null\0"), O_WRONLY);
    if (devNull < 0) throw new Error("Cannot open /dev/null");
    try {
      for (const e of Deno.readDirSync("/proc/self/fd")) {
        const fd = Number(e.name);
        if (fd === devNull) continue;
        let link: string;
        try {
          link = Deno.readLinkSync(`/proc/self/fd/${fd}`);
        } catch {
          continue; // closed meanwhile
        }
        if (link === target && libc.symbols.dup2(devNull, fd) < 0) {
          throw new Error(`dup2 onto descriptor ${fd} failed`);
        }
      }
    } finally {
      libc.symbols.close(devNull);
    }
  } finally {
    libc.close();
  }
}
