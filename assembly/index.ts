// Exports of the WASM chunk parser core. Only numbers cross this boundary.
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
export { configure, currentChunkSize, errorArg, FAILED, MORE, OUT, parse, resetChunks } from "./chunk";
