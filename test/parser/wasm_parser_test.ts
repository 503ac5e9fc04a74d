import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { runParserSuite } from "./parser_suite.ts";

runParserSuite("wasm", await loadWasmParser());
