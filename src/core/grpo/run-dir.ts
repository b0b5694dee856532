/**
 * A training run's folder:
 *
 *   config.json                 the resolved configuration (what --resume reads back)
 *   metrics.jsonl               one JSON object per optimizer step
 *   samples.jsonl               sample completions every N steps
 *   checkpoints/step-000010/    trainer_state.{json,safetensors} (+ adapter_model.safetensors, adapter_config.json)
 *
 * Checkpoints are written into a hidden sibling folder and renamed into place, so a crash leaves either no
 * checkpoint or a complete one.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';

export const RUN_CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';
export const SAMPLES_FILE = 'samples.jsonl';
export const CHECKPOINTS_DIR = 'checkpoints';

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

export class RunDir {
  constructor(readonly dir: string) {}

  static async create(dir: string, config: unknown): Promise<RunDir> {
    if (existsSync(join(dir, RUN_CONFIG_FILE))) {
      throw new InputError(`${dir} already holds a training run`, { file: dir, hint: 'continue it with --resume, or choose a new --out' });
    }
    await mkdir(join(dir, CHECKPOINTS_DIR), { recursive: true });
    await writeJsonAtomic(join(dir, RUN_CONFIG_FILE), config);
    return new RunDir(dir);
  }

  static async open(dir: string): Promise<RunDir> {
    if (!existsSync(join(dir, RUN_CONFIG_FILE))) {
      throw new InputError(`${dir} is not a training run (no ${RUN_CONFIG_FILE})`, { file: dir, hint: 'pass the --out folder of an omni train run' });
    }
    return new RunDir(dir);
  }

  async readConfig<T>(): Promise<T> {
    return JSON.parse(await readFile(join(this.dir, RUN_CONFIG_FILE), 'utf8')) as T;
  }

  /** Replaces config.json (settings changed on --resume), atomically. */
  async writeConfig(config: unknown): Promise<void> {
    await writeJsonAtomic(join(this.dir, RUN_CONFIG_FILE), config);
  }

  async appendMetrics(record: Record<string, unknown>): Promise<void> {
    await appendFile(join(this.dir, METRICS_FILE), `${JSON.stringify(record)}\n`);
  }

  async appendSamples(record: Record<string, unknown>): Promise<void> {
    await appendFile(join(this.dir, SAMPLES_FILE), `${JSON.stringify(record)}\n`);
  }

  async readMetrics(): Promise<Array<Record<string, unknown>>> {
    const path = join(this.dir, METRICS_FILE);
    if (!existsSync(path)) return [];
    return (await readFile(path, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Keeps the metric and sample lines of steps <= `step` (what a run resumed from that checkpoint rewrites). */
  async truncateAfter(step: number): Promise<void> {
    for (const file of [METRICS_FILE, SAMPLES_FILE]) {
      const path = join(this.dir, file);
      if (!existsSync(path)) continue;
      const kept = (await readFile(path, 'utf8'))
        .split('\n')
        .filter((line) => line.trim() !== '' && Number((JSON.parse(line) as { step?: number }).step) <= step);
      await writeFile(path, kept.map((line) => `${line}\n`).join(''));
    }
  }

  checkpointDir(step: number): string {
    return join(this.dir, CHECKPOINTS_DIR, checkpointName(step));
  }

  /** Steps of the complete checkpoints, ascending. */
  async checkpoints(): Promise<number[]> {
    const root = join(this.dir, CHECKPOINTS_DIR);
    if (!existsSync(root)) return [];
    const names = await readdir(root);
    return names
      .filter((n) => /^step-\d+$/.test(n))
      .map((n) => Number(n.slice(5)))
      .sort((a, b) => a - b);
  }

  /** Writes a checkpoint through `write(partialDir)`, then renames it into place (replacing an older one of that step). */
  async writeCheckpoint(step: number, write: (dir: string) => Promise<void>): Promise<string> {
    const final = this.checkpointDir(step);
    const partial = join(this.dir, CHECKPOINTS_DIR, `.${checkpointName(step)}.partial`);
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await write(partial);
    await rm(final, { recursive: true, force: true });
    await rename(partial, final);
    return final;
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.partial`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${path}.partial`, path);
}
