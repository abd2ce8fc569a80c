/**
 * The bench's outputs: results.json (every run, raw), results.md (median and spread per client
 * and scenario, and rxtorrent's ratio to each reference client) and ratios.svg (hand-written SVG:
 * throughput and CPU ratios, one panel per scenario).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { summary } from './measure.js';

interface RunBase {
  readonly scenario: string;
  readonly client: string;
  readonly round: number;
  readonly sizeMiB: number;
  readonly bytes: number;
}

export type RunRecord =
  | (RunBase & {
      readonly ok: true;
      readonly wallS: number;
      readonly transferS: number;
      /** 10^6 bytes per second, start to done. */
      readonly mbps: number;
      /** 10^6 bytes per second, first byte on disk to done. */
      readonly transferMbps: number;
      readonly cpuSeconds: number;
      readonly cpuPerGiB: number;
      readonly peakRssMiB: number;
      readonly peakAnonMiB: number;
    })
  | (RunBase & { readonly ok: false; readonly error: string });

export interface BenchResults {
  readonly date: string;
  readonly seconds: number;
  readonly options: Readonly<Record<string, unknown>>;
  readonly machine: Readonly<Record<string, string>>;
  readonly scenarios: Readonly<Record<string, readonly string[]>>;
  readonly runs: readonly RunRecord[];
}

type Metric = 'mbps' | 'transferMbps' | 'cpuPerGiB' | 'peakRssMiB' | 'peakAnonMiB';
type Stats = ReturnType<typeof summary>;

interface Row {
  readonly scenario: string;
  readonly client: string;
  readonly ok: number;
  readonly failed: number;
  readonly stats: Readonly<Record<Metric, Stats>>;
}

const METRICS: readonly Metric[] = ['mbps', 'transferMbps', 'cpuPerGiB', 'peakRssMiB', 'peakAnonMiB'];

export function rowsOf(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const keys = [...new Set(results.runs.map((run) => `${run.scenario}\0${run.client}`))];
  for (const key of keys) {
    const [scenario = '', client = ''] = key.split('\0');
    const runs = results.runs.filter((run) => run.scenario === scenario && run.client === client);
    const ok = runs.flatMap((run) => (run.ok ? [run] : []));
    const stats = Object.fromEntries(METRICS.map((metric) => [metric, summary(ok.map((run) => run[metric]))])) as Record<Metric, Stats>;
    rows.push({ scenario, client, ok: ok.length, failed: runs.length - ok.length, stats });
  }
  return rows;
}

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const cell = (stats: Stats, digits = 1): string =>
  stats.n === 0 ? '–' : stats.n === 1 ? fmt(stats.median, digits) : `${fmt(stats.median, digits)} (${fmt(stats.min, digits)}–${fmt(stats.max, digits)})`;

/** rxtorrent's median over the reference client's median. */
function ratio(rows: readonly Row[], scenario: string, client: string, metric: Metric): number {
  const rx = rows.find((row) => row.scenario === scenario && row.client === 'rxtorrent')?.stats[metric].median ?? NaN;
  const other = rows.find((row) => row.scenario === scenario && row.client === client)?.stats[metric].median ?? NaN;
  return rx / other;
}

export function markdown(results: BenchResults): string {
  const rows = rowsOf(results);
  const lines = [
    `# rxtorrent bench — ${results.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Payload ${String(results.options['sizeMiB'])} MiB (4 files), ${String(results.options['pieceKiB'])} KiB pieces, ` +
      `${String(results.options['runs'])} runs per client; ${results.machine['cores'] ?? '?'} cores (${results.machine['cpu'] ?? '?'}), ` +
      `Node ${results.machine['node'] ?? '?'}, ${results.machine['aria2'] ?? ''}, ${results.machine['transmission'] ?? ''}, ` +
      `libtorrent ${results.machine['libtorrent'] ?? ''}, WebTorrent ${results.machine['webtorrent'] ?? ''}. Whole bench: ${fmt(results.seconds / 60, 1)} min.`,
    '',
    'Cells: median (min–max). MB/s = 10⁶ bytes/s from the leecher\'s start to its "done"; transfer MB/s from the first ' +
      'byte on disk; CPU = user+sys seconds of the leecher\'s process tree per GiB; RSS = peak resident set (anon = sampled peak RssAnon, ' +
      'without mapped file pages). Ratios are rxtorrent ÷ the other client (throughput: >1 means rxtorrent is faster; ' +
      'CPU and RSS: <1 means rxtorrent uses less).',
  ];
  for (const scenario of [...new Set(rows.map((row) => row.scenario))]) {
    lines.push('', `## ${scenario}: leechers ← ${(results.scenarios[scenario] ?? []).join(' + ')}`, '',
      '| leecher | ok | MB/s | transfer MB/s | CPU s/GiB | peak RSS MiB | anon MiB | rx ÷ it: MB/s | CPU | RSS |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows.filter((r) => r.scenario === scenario)) {
      const self = row.client === 'rxtorrent';
      const r = (metric: Metric): string => (self ? '' : `${fmt(ratio(rows, scenario, row.client, metric), 2)}×`);
      lines.push(`| ${row.client} | ${row.ok}/${row.ok + row.failed} | ${cell(row.stats.mbps)} | ${cell(row.stats.transferMbps)} | ` +
        `${cell(row.stats.cpuPerGiB, 2)} | ${cell(row.stats.peakRssMiB, 0)} | ${cell(row.stats.peakAnonMiB, 0)} | ` +
        `${r('mbps')} | ${r('cpuPerGiB')} | ${r('peakRssMiB')} |`);
    }
  }
  for (const [reference, name] of [['lt-seeder', 'a libtorrent'], ['tx-seeder', 'a transmission-daemon']] as const) {
    if (!rows.some((row) => row.scenario === 'rx-seeder') || !rows.some((row) => row.scenario === reference)) continue;
    lines.push('', `## rxtorrent as a seeder: rx-seeder ÷ ${reference}, per leecher`, '',
      `What each leecher gets from an rxtorrent seeder alone, over what it gets from ${name} seeder alone (medians).`, '',
      '| leecher | MB/s ratio | transfer MB/s ratio |', '| --- | --- | --- |');
    for (const row of rows.filter((r) => r.scenario === 'rx-seeder')) {
      const other = rows.find((r) => r.scenario === reference && r.client === row.client);
      if (other === undefined) continue;
      lines.push(`| ${row.client} | ${fmt(row.stats.mbps.median / other.stats.mbps.median, 2)}× | ` +
        `${fmt(row.stats.transferMbps.median / other.stats.transferMbps.median, 2)}× |`);
    }
  }
  const failures = results.runs.flatMap((run) => (run.ok ? [] : [run]));
  if (failures.length > 0) {
    lines.push('', '## Failed runs', '');
    for (const run of failures) lines.push(`- ${run.scenario} / ${run.client} round ${run.round + 1}: ${run.error.split('\n')[0] ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Grouped bars per scenario: throughput ratio and CPU ratio of rxtorrent to each client, a line at 1. */
export function svgChart(results: BenchResults): string {
  const rows = rowsOf(results);
  const scenarios = [...new Set(rows.map((row) => row.scenario))];
  const panels = scenarios.map((scenario) => ({
    scenario,
    bars: rows.filter((row) => row.scenario === scenario && row.client !== 'rxtorrent').map((row) => ({
      client: row.client,
      throughput: ratio(rows, scenario, row.client, 'mbps'),
      cpu: ratio(rows, scenario, row.client, 'cpuPerGiB'),
    })),
  }));
  const values = panels.flatMap((panel) => panel.bars.flatMap((bar) => [bar.throughput, bar.cpu])).filter(Number.isFinite);
  // Capped at 4×: a bar above is drawn to the top and its label gives the value.
  const top = Math.min(4, Math.max(2, Math.ceil(Math.max(...values, 1) * 2) / 2));
  const panelW = 300;
  const h = 220;
  const plotTop = 50;
  const plotH = 130;
  const width = 60 + panels.length * panelW;
  const y = (value: number): number => plotTop + plotH - (Math.min(value, top) / top) * plotH;
  const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h + 30}" viewBox="0 0 ${width} ${h + 30}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">rxtorrent ÷ reference client (${esc(String(results.options['sizeMiB']))} MiB, median of ${esc(String(results.options['runs']))})</text>`,
    `<rect x="${width - 250}" y="28" width="10" height="10" fill="#3b7dd8"/><text x="${width - 236}" y="37">throughput (higher is better)</text>`,
    `<rect x="${width - 250}" y="42" width="10" height="10" fill="#e08a2c"/><text x="${width - 236}" y="51">CPU s/GiB (lower is better)</text>`,
  ];
  for (let tick = 0; tick <= top; tick += 0.5) {
    parts.push(`<line x1="50" x2="${width - 10}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="44" y="${y(tick) + 4}" text-anchor="end">${tick}×</text>`);
  }
  panels.forEach((panel, p) => {
    const x0 = 60 + p * panelW;
    parts.push(`<text x="${x0 + panelW / 2 - 10}" y="${plotTop + plotH + 40}" text-anchor="middle" font-weight="bold">${esc(panel.scenario)}</text>`);
    const slot = (panelW - 20) / Math.max(1, panel.bars.length);
    panel.bars.forEach((bar, b) => {
      const x = x0 + b * slot;
      const barW = Math.min(28, slot / 2 - 4);
      for (const [k, value, color] of [[0, bar.throughput, '#3b7dd8'], [1, bar.cpu, '#e08a2c']] as const) {
        if (!Number.isFinite(value)) continue;
        const bx = x + slot / 2 - barW + k * barW;
        parts.push(`<rect x="${bx.toFixed(1)}" y="${y(value).toFixed(1)}" width="${barW - 1}" height="${(plotTop + plotH - y(value)).toFixed(1)}" fill="${color}"/>`,
          `<text x="${(bx + barW / 2).toFixed(1)}" y="${(y(value) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${value.toFixed(2)}</text>`);
      }
      parts.push(`<text x="${(x + slot / 2).toFixed(1)}" y="${plotTop + plotH + 14}" text-anchor="middle">${esc(bar.client)}</text>`);
    });
  });
  parts.push(`<line x1="50" x2="${width - 10}" y1="${y(1)}" y2="${y(1)}" stroke="#333" stroke-dasharray="4 3"/>`, '</svg>');
  return `${parts.join('\n')}\n`;
}

export async function writeReports(results: BenchResults, dir: string, base: string): Promise<string[]> {
  const written = [join(dir, `${base}.json`), join(dir, `${base}.md`)];
  await writeFile(written[0]!, `${JSON.stringify({ ...results, summary: rowsOf(results) }, null, 2)}\n`);
  await writeFile(written[1]!, markdown(results));
  if (base === 'results') {
    const svg = join(dir, 'ratios.svg');
    await writeFile(svg, svgChart(results));
    written.push(svg);
  }
  return written;
}
