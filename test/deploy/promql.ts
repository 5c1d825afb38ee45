/** The metric names a PromQL expression reads (enough PromQL for alert rules and dashboards). */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  let rest = expr
    // Grafana's label_values(metric, label) names a metric, then a label.
    .replace(/label_values\(\s*([a-zA-Z_:][\w:]*)[^)]*\)/g, (_m, metric: string) => {
      names.add(metric);
      return ' ';
    })
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  rest = rest.replace(/\$\w+/g, ' ');
  for (const m of rest.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || KEYWORDS.has(name!)) continue;
    names.add(name!);
  }
  return [...names].sort();
}

/** Every series name a Prometheus text exposition declares (`# TYPE`), histogram parts included. */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    if (type === 'histogram') {
      for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    } else if (type === 'summary') {
      for (const s of ['', '_sum', '_count']) names.add(name + s);
    } else {
      names.add(name);
    }
  }
  return names;
}
