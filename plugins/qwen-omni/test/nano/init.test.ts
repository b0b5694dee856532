/** `omni models init nano` and the library call behind it: writes a loadable checkpoint, never over an existing folder. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from 'omni-r1';
import { loadQwenConfig } from '../../src/config.js';
import { initNanoThinker } from '../../src/nano/index.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/run.js');
const built = existsSync(resolve(import.meta.dirname, '../../../../dist/commands/models/init.js'));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nano-init-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('initNanoThinker', () => {
  it('writes into a new or empty folder, and refuses a non-empty folder or a file', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    const written = await initNanoThinker(empty, { seed: 2 });
    expect(written.dir).toBe(empty);
    expect((await readdir(empty)).sort()).toEqual([
      'chat_template.json',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'preprocessor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect((await loadQwenConfig(empty)).kind).toBe('qwen2_5_omni_thinker');
    await expect(initNanoThinker(empty)).rejects.toThrow(InputError);
    await expect(initNanoThinker(empty)).rejects.toThrow(/already exists and is not empty/);
    const file = join(root, 'file');
    await writeFile(file, 'x');
    await expect(initNanoThinker(file)).rejects.toThrow(/already exists/);
  }, 20_000);
});

describe.skipIf(!built)('omni models init nano', () => {
  it('writes the checkpoint, then refuses to overwrite it with exit code 2 and a one-line error', async () => {
    const out = join(root, 'cli');
    const first = await execa('node', [BIN, 'models', 'init', 'nano', '--out', out, '--seed', '5'], { reject: false });
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/^wrote .*cli \(nano thinker, 2\.44 M parameters, \d+ BPE tokens, seed 5\)$/);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const again = await execa('node', [BIN, 'models', 'init', 'nano', '--out', out], { reject: false });
    expect(again.exitCode).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain(`${out} already exists and is not empty`);
  }, 30_000);
});
