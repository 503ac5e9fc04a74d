import { createJsParser } from "../../src/parser/js_parser.ts";
import { runParserSuite } from "./parser_suite.ts";

runParserSuite("js", createJsParser);
