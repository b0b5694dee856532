/**
 * `models/nano/card.json`: what the bundled nano pair is and how it was made. The people who train the models write
 * everything but the file lists; `scripts/nano/ship.mjs` fills `files`, `bytes` and `totalBytes` from what it copied.
 *
 *   {
 *     "format": "omni-r1/nano-card", "version": 1,
 *     "summary": "one paragraph",
 *     "policy":    { "backend": "qwen-omni", "architecture": "...", "sizes": {...}, "parameters": N,
 *                    "training": { "commands": [...], "seeds": {...}, "durationSeconds": N, "data"?: "...", "notes"?: "..." },
 *                    "files"*: [{ "path", "bytes", "sha256" }], "bytes"*: N },
 *     "segmenter": { same fields, "backend": "sam2" },
 *     "eval": [{ "name": "(c) SFT + GRPO alpha_g 1", "metric": "J&F", "value": 0.41, "split"?: "...", "command"?: "..." }],
 *     "totalBytes"*: N
 *   }
 *
 * Fields marked * are written by the ship script. docs/nano.md has the full story; the card is its summary.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { nanoBundlePaths, SHIP_COMMAND, type BundledRole } from './bundled.js';
import { formatBytes } from './store.js';

export const NANO_CARD_FORMAT = 'omni-r1/nano-card';
export const NANO_CARD_VERSION = 1;

export interface NanoCardFile {
  /** Relative to the model folder, '/'-separated. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface NanoCardTraining {
  /** The exact commands, in order, that produced the model from nothing. */
  commands: string[];
  /** Every seed the commands used, by what it seeds (e.g. { "init": 0, "train-data": 1 }). */
  seeds: Record<string, number>;
  /** Wall-clock seconds of the training commands, all together. */
  durationSeconds: number;
  /** The data it was trained on, e.g. the `omni data synth` command. */
  data?: string;
  notes?: string;
}

export interface NanoCardModel {
  /** The backend that loads the folder (qwen-omni, sam2). */
  backend: string;
  /** The architecture it instantiates, e.g. Qwen2_5OmniThinkerForConditionalGeneration. */
  architecture: string;
  /** Architecture sizes (hidden size, layers, heads, image size, ...), as the config names them. */
  sizes: Record<string, number | string | number[]>;
  parameters: number;
  training: NanoCardTraining;
  /** Filled by the ship script. */
  files?: NanoCardFile[];
  /** Filled by the ship script: the sum of `files`. */
  bytes?: number;
}

export interface NanoCardEval {
  name: string;
  metric: string;
  value: number;
  /** The data it was measured on, e.g. "omni data synth --seed 9, valid". */
  split?: string;
  command?: string;
}

export interface NanoCard {
  format: typeof NANO_CARD_FORMAT;
  version: typeof NANO_CARD_VERSION;
  summary: string;
  policy: NanoCardModel;
  segmenter: NanoCardModel;
  eval: NanoCardEval[];
  /** Filled by the ship script: policy.bytes + segmenter.bytes (card.json itself is not counted). */
  totalBytes?: number;
}

type Json = Record<string, unknown>;

/** Checks one card field at a time; every failure is one line naming the file and the field. */
class CardReader {
  constructor(private readonly file: string) {}

  fail(field: string, expected: string): never {
    throw new InputError(`${this.file}: ${field} must be ${expected}`, { file: this.file, hint: 'see src/core/models/bundled-card.ts for the card format' });
  }

  object(value: unknown, field: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'an object');
    return value as Json;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, 'a non-empty string');
    return value;
  }

  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined ? undefined : this.string(value, field);
  }

  count(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) this.fail(field, 'a whole number >= 0');
    return value;
  }

  number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, 'a finite number');
    return value;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, 'an array');
    return value;
  }
}

function readTraining(read: CardReader, value: unknown, field: string): NanoCardTraining {
  const o = read.object(value, field);
  const commands = read.array(o.commands, `${field}.commands`).map((c, i) => read.string(c, `${field}.commands[${i}]`));
  if (commands.length === 0) read.fail(`${field}.commands`, 'a non-empty array');
  const seedsObject = read.object(o.seeds, `${field}.seeds`);
  const seeds = Object.fromEntries(Object.entries(seedsObject).map(([k, v]) => [k, read.count(v, `${field}.seeds.${k}`)]));
  const training: NanoCardTraining = { commands, seeds, durationSeconds: read.number(o.durationSeconds, `${field}.durationSeconds`) };
  if (training.durationSeconds < 0) read.fail(`${field}.durationSeconds`, 'a number >= 0');
  const data = read.optionalString(o.data, `${field}.data`);
  const notes = read.optionalString(o.notes, `${field}.notes`);
  return { ...training, ...(data === undefined ? {} : { data }), ...(notes === undefined ? {} : { notes }) };
}

function readSizes(read: CardReader, value: unknown, field: string): NanoCardModel['sizes'] {
  const o = read.object(value, field);
  for (const [key, v] of Object.entries(o)) {
    const ok = typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (!ok) read.fail(`${field}.${key}`, 'a number, a string or an array of numbers');
  }
  return o as NanoCardModel['sizes'];
}

function readFiles(read: CardReader, value: unknown, field: string): NanoCardFile[] {
  return read.array(value, field).map((entry, i) => {
    const o = read.object(entry, `${field}[${i}]`);
    const sha256 = read.string(o.sha256, `${field}[${i}].sha256`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) read.fail(`${field}[${i}].sha256`, '64 lowercase hex digits');
    return { path: read.string(o.path, `${field}[${i}].path`), bytes: read.count(o.bytes, `${field}[${i}].bytes`), sha256 };
  });
}

function readModel(read: CardReader, value: unknown, field: BundledRole, shipped: boolean): NanoCardModel {
  const o = read.object(value, field);
  const model: NanoCardModel = {
    backend: read.string(o.backend, `${field}.backend`),
    architecture: read.string(o.architecture, `${field}.architecture`),
    sizes: readSizes(read, o.sizes, `${field}.sizes`),
    parameters: read.count(o.parameters, `${field}.parameters`),
    training: readTraining(read, o.training, `${field}.training`),
  };
  if (shipped || o.files !== undefined) model.files = readFiles(read, o.files, `${field}.files`);
  if (shipped || o.bytes !== undefined) model.bytes = read.count(o.bytes, `${field}.bytes`);
  return model;
}

function readEval(read: CardReader, value: unknown, field: string): NanoCardEval {
  const o = read.object(value, field);
  const row: NanoCardEval = { name: read.string(o.name, `${field}.name`), metric: read.string(o.metric, `${field}.metric`), value: read.number(o.value, `${field}.value`) };
  const split = read.optionalString(o.split, `${field}.split`);
  const command = read.optionalString(o.command, `${field}.command`);
  return { ...row, ...(split === undefined ? {} : { split }), ...(command === undefined ? {} : { command }) };
}

/**
 * A card read from `file`: `shipped` cards (models/nano/card.json) must carry the file lists the ship script fills;
 * cards handed to the ship script need not.
 */
export function parseNanoCard(value: unknown, file: string, options: { shipped: boolean }): NanoCard {
  const read = new CardReader(file);
  const o = read.object(value, 'the card');
  if (o.format !== NANO_CARD_FORMAT) read.fail('format', `"${NANO_CARD_FORMAT}"`);
  if (o.version !== NANO_CARD_VERSION) read.fail('version', String(NANO_CARD_VERSION));
  const card: NanoCard = {
    format: NANO_CARD_FORMAT,
    version: NANO_CARD_VERSION,
    summary: read.string(o.summary, 'summary'),
    policy: readModel(read, o.policy, 'policy', options.shipped),
    segmenter: readModel(read, o.segmenter, 'segmenter', options.shipped),
    eval: read.array(o.eval, 'eval').map((row, i) => readEval(read, row, `eval[${i}]`)),
  };
  if (options.shipped || o.totalBytes !== undefined) card.totalBytes = read.count(o.totalBytes, 'totalBytes');
  return card;
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${(seconds / 3600).toFixed(1)} h`;
}

function formatSize(value: NanoCardModel['sizes'][string]): string {
  return Array.isArray(value) ? value.join('/') : String(value);
}

function modelLines(role: BundledRole, model: NanoCardModel, folder: string): string[] {
  const files = model.files ?? [];
  const lines = [
    `${role} (${model.backend} backend): ${model.architecture}`,
    `  folder: ${folder}`,
    `  parameters: ${formatCount(model.parameters)}; files: ${formatBytes(model.bytes ?? 0)} in ${files.length}`,
    `  sizes: ${Object.entries(model.sizes).map(([k, v]) => `${k} ${formatSize(v)}`).join(', ')}`,
    `  training: ${formatDuration(model.training.durationSeconds)}; seeds: ${Object.entries(model.training.seeds).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
  ];
  if (model.training.data) lines.push(`  data: ${model.training.data}`);
  lines.push(...model.training.commands.map((command) => `    ${command}`));
  if (model.training.notes) lines.push(`  notes: ${model.training.notes}`);
  return lines;
}

/** The card for people (`omni models info nano`); `--json` prints the card itself. */
export function formatNanoCard(card: NanoCard, folders: { dir: string; policy: string; segmenter: string }): string {
  const lines = [
    `nano (bundled): ${card.summary}`,
    `folder: ${folders.dir}; model files ${formatBytes(card.totalBytes ?? 0)}`,
    '',
    ...modelLines('policy', card.policy, folders.policy),
    '',
    ...modelLines('segmenter', card.segmenter, folders.segmenter),
  ];
  if (card.eval.length > 0) {
    lines.push('', 'eval:');
    const width = Math.max(...card.eval.map((row) => row.name.length));
    for (const row of card.eval) {
      const where = row.split ? `  (${row.split})` : '';
      lines.push(`  ${row.name.padEnd(width)}  ${row.metric} ${row.value.toFixed(3)}${where}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** models/nano/card.json, checked; a one-line error when the bundle or its card is missing or malformed. */
export async function readBundledNanoCard(env: NodeJS.ProcessEnv = process.env): Promise<NanoCard> {
  const { card: file } = nanoBundlePaths(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError(`the bundled nano models are missing (no ${file})`, { file, hint: `this checkout has no models/nano; install the pair with ${SHIP_COMMAND}` });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file} is not valid JSON: ${(error as Error).message}`, { file, hint: `re-run ${SHIP_COMMAND}` });
  }
  return parseNanoCard(parsed, file, { shipped: true });
}
