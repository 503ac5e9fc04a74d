/**
 * Reads Prometheus text exposition with `parse-prometheus-text-format` for the metrics tests.
 * @module
 */

import parsePrometheusTextFormat from "parse-prometheus-text-format";

/** One metric family as the parser gives it. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly {
    readonly value?: string;
    readonly labels?: Record<string, string>;
  }[];
}

/** One series: its labels and value. */
export interface Series {
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the text; throws on malformed input. */
export function parseMetrics(text: string): MetricFamily[] {
  const parse: (text: string) => MetricFamily[] = parsePrometheusTextFormat;
  return parse(text);
}

/** The series of metric `name` (none when the family is absent or empty). */
export function series(families: readonly MetricFamily[], name: string): Series[] {
  const family = families.find((f) => f.name === name);
  return (family?.metrics ?? []).map((m) => ({
    labels: m.labels ?? {},
    value: Number(m.value),
  }));
}

/** The value of the series of `name` whose labels include `labels`, or undefined. */
export function value(
  families: readonly MetricFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return series(families, name).find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;
}
