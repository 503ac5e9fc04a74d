// Exports of the WASM chunk parser core. Only numbers cross this boundary.
// chunk's static regions are laid out first (they share one page), then the ring.
export {
  configure,
  currentChunkSize,
  errorArg,
  FAILED,
  MORE,
  OUT,
  parse,
  PIECE,
  resetChunks,
  SPILLED,
} from "./chunk";
export {
  commitWrite,
  MIN_FREE,
  prepareWrite,
  readAt,
  resetRing,
  RING,
  RING_SIZE,
  SMALL_TAIL,
  writeAt,
} from "./ring";
