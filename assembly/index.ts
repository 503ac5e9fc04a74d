// Exports of the WASM chunk parser core. Only numbers cross this boundary: functions, and the
// layout's constants through one function (each exported global would cost every instance a
// WebAssembly.Global object and its buffer).
import { FAILED, MORE, OUT, PIECE, READY, SPILLED } from "./chunk";
import { MIN_FREE, RING, RING_SIZE, SMALL_TAIL } from "./ring";

export { configure, currentChunkSize, errorArg, parse, resetChunks } from "./chunk";
export { commitWrite, prepareWrite, resetRing } from "./ring";

/** Numbers the host needs once: RING, RING_SIZE, MIN_FREE, SMALL_TAIL, OUT, MORE, FAILED, PIECE, SPILLED, READY (i = 0..9). */
export function layout(i: u32): u32 {
  switch (i) {
    case 0:
      return <u32> RING;
    case 1:
      return RING_SIZE;
    case 2:
      return MIN_FREE;
    case 3:
      return SMALL_TAIL;
    case 4:
      return <u32> OUT;
    case 5:
      return <u32> MORE;
    case 6:
      return <u32> FAILED;
    case 7:
      return PIECE;
    case 8:
      return SPILLED;
    default:
      return <u32> READY;
  }
}
