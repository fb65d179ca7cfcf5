/**
 * Where a process spent its CPU: reads a V8 .cpuprofile (node --cpu-prof) and prints the top
 * functions by self time, self time grouped by package (kafkajs, undici, the bridge's src/,
 * node internals, GC, …) and the bridge functions with the most inclusive time.
 *
 *   node bench/profile-summary.ts <file.cpuprofile> [--from-us N --to-us N] [--top 25]
 *
 * bench/run.ts --profile calls it for the bridge workers, restricted to the measurement
 * window (first record to end of window), so start-up and the group join are left out.
 * Nothing here prints an absolute path: files are shown from node_modules/ or the repo root.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  group: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window. */
  pct: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  byGroup: Row[];
  topSelf: Row[];
  topInclusiveBridge: Row[];
}

const SPECIAL: Record<string, string> = {
  '(garbage collector)': 'gc',
  '(program)': 'v8/native (unattributed)',
  '(idle)': 'idle',
  '(root)': 'root',
};

/** The package (or part of the project) a frame belongs to. */
export function groupOf(frame: CallFrame): string {
  const special = SPECIAL[frame.functionName];
  if (frame.url === '' && special !== undefined) return special;
  if (frame.url === '') return 'node internals';
  if (frame.url.startsWith('node:')) return 'node internals';
  const nm = frame.url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = frame.url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? 'node_modules');
  }
  if (/\/src\/[^/]/.test(frame.url)) return 'bridge (src/)';
  if (frame.url.includes('/bench/')) return 'bench harness';
  if (frame.url.includes('/tools/')) return 'tools';
  return 'other';
}

/** A short, machine-independent location: from node_modules/ or from src/, bench/, tools/. */
export function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const m = /\/((?:src|bench|tools)\/.*)$/.exec(url);
  if (m?.[1] !== undefined) return m[1];
  if (url.startsWith('node:')) return url;
  return url === '' ? '' : (url.split('/').pop() ?? url);
}

function label(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  const where = shortUrl(frame.url);
  return where === '' ? name : `${name} ${where}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(file: string, window?: { fromUs: number; toUs: number }, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // Sample i happens at startTime + sum(timeDeltas[0..i]) and lasts until the next sample.
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const mean = times.length > 1 ? (times[times.length - 1]! - times[0]!) / (times.length - 1) : 1000;

  const self = new Map<string, { group: string; us: number }>();
  const groups = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const ancestorsCache = new Map<number, string[]>();
  const bridgeAncestors = (id: number): string[] => {
    const cached = ancestorsCache.get(id);
    if (cached !== undefined) return cached;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (groupOf(f) === 'bridge (src/)') seen.add(label(f));
    }
    const list = [...seen];
    ancestorsCache.set(id, list);
    return list;
  };

  let idleUs = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i]!;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) continue;
    const us = i + 1 < times.length ? times[i + 1]! - at : mean;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined) continue;
    const group = groupOf(node.callFrame);
    if (group === 'idle') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    groups.set(group, (groups.get(group) ?? 0) + us);
    const key = label(node.callFrame);
    const entry = self.get(key) ?? { group, us: 0 };
    entry.us += us;
    self.set(key, entry);
    for (const fn of bridgeAncestors(node.id)) inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
  }

  const pct = (us: number) => (busyUs > 0 ? Math.round((1000 * us) / busyUs) / 10 : 0);
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    windowMs: ms(window === undefined ? profile.endTime - profile.startTime : window.toUs - window.fromUs),
    busyMs: ms(busyUs),
    idleMs: ms(idleUs),
    byGroup: [...groups].sort((x, y) => y[1] - x[1]).map(([name, us]) => ({ name, group: name, ms: ms(us), pct: pct(us) })),
    topSelf: [...self]
      .sort((x, y) => y[1].us - x[1].us)
      .slice(0, top)
      .map(([name, e]) => ({ name, group: e.group, ms: ms(e.us), pct: pct(e.us) })),
    topInclusiveBridge: [...inclusive]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 15)
      .map(([name, us]) => ({ name, group: 'bridge (src/)', ms: ms(us), pct: pct(us) })),
  };
}

export function formatSummary(title: string, s: ProfileSummary): string {
  const lines = [
    `\n=== CPU profile: ${title}`,
    `window ${s.windowMs} ms: busy ${s.busyMs} ms, idle ${s.idleMs} ms (${s.windowMs > 0 ? Math.round((100 * s.busyMs) / s.windowMs) : 0}% of one core)`,
    '',
    'self time by group (% of busy):',
    ...s.byGroup.map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(8)} ms  ${r.name}`),
    '',
    'top functions by self time:',
    ...s.topSelf.map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(8)} ms  [${r.group}] ${r.name}`),
    '',
    'bridge functions by inclusive time (their callees included):',
    ...s.topInclusiveBridge.map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(8)} ms  ${r.name}`),
  ];
  return lines.join('\n');
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'from-us': { type: 'string' }, 'to-us': { type: 'string' }, top: { type: 'string', default: '25' }, json: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (file === undefined) {
    console.error('usage: node bench/profile-summary.ts <file.cpuprofile> [--from-us N --to-us N] [--top 25] [--json]');
    process.exit(64);
  }
  const window = values['from-us'] !== undefined && values['to-us'] !== undefined ? { fromUs: Number(values['from-us']), toUs: Number(values['to-us']) } : undefined;
  const summary = summarizeProfile(file, window, Number(values.top));
  console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(shortUrl(file), summary));
}
