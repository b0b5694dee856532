/**
 * The bundled-models library without real models: the card format, shipping (copy, check, fill, swap), `nano` as a
 * model reference, and which backends fall back to the bundle. Fake export folders carry only a manifest and a file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../src/commands/infer.js';
import { InputError, OmniError } from '../../src/core/errors.js';
import { formatNanoCard, parseNanoCard, readBundledNanoCard, type NanoCard } from '../../src/core/models/bundled-card.js';
import { NANO_MAX_BYTES, shipNanoBundle } from '../../src/core/models/bundled-ship.js';
import { BUNDLED_NOTICE, bundledNanoFolder, listBundledModels, nanoBundlePaths, requireBundledNano } from '../../src/core/models/bundled.js';
import { resolveModelRef } from '../../src/core/models/resolve.js';
import type { BackendContext } from '../../src/plugins/api.js';
import { BackendRegistry } from '../../src/plugins/registry.js';
import { tinyCard } from './nano-fixtures.js';

let root: string;
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A folder that looks like an `omni export` output: one weight file and the manifest listing it. */
async function fakeExport(dir: string, format: string, weight: Buffer, extra: Record<string, unknown> = {}): Promise<string> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'onnx', 'model.onnx'), weight);
  await writeFile(join(dir, 'omni-manifest.json'), JSON.stringify({ format, version: 1, files: [{ path: 'onnx/model.onnx', bytes: weight.length, sha256: sha(weight) }], ...extra }));
  return dir;
}

const POLICY_WEIGHT = Buffer.alloc(3000, 7);
const SAM_WEIGHT = Buffer.alloc(1000, 9);
let policy: string;
let segmenter: string;
let cardFile: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'omni-nano-bundle-'));
  policy = await fakeExport(join(root, 'policy-export'), 'omni-r1/policy', POLICY_WEIGHT);
  segmenter = await fakeExport(join(root, 'sam-export'), 'omni-r1/segmenter', SAM_WEIGHT, { videoGraphs: { memory_encoder: 'onnx/memory_encoder.onnx' } });
  cardFile = join(root, 'card.json');
  await writeFile(cardFile, JSON.stringify(tinyCard()));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function lineOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  const error = await (typeof promise === 'function' ? Promise.resolve().then(promise) : promise).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(OmniError);
  return (error as OmniError).line;
}

describe('shipNanoBundle', () => {
  it('copies both folders, fills sizes and sha256s into the card, and writes nothing else', async () => {
    const out = join(root, 'ship-1', 'nano');
    const { card, warnings } = await shipNanoBundle({ policy, segmenter, card: cardFile, out });
    expect(warnings).toEqual([]);
    const manifestBytes = (dir: string) => readFile(join(dir, 'omni-manifest.json'));
    const policyManifest = await manifestBytes(policy);
    expect(card.policy.files).toEqual([
      { path: 'omni-manifest.json', bytes: policyManifest.length, sha256: sha(policyManifest) },
      { path: 'onnx/model.onnx', bytes: 3000, sha256: sha(POLICY_WEIGHT) },
    ]);
    expect(card.policy.bytes).toBe(3000 + policyManifest.length);
    expect(card.segmenter.bytes).toBe(1000 + (await manifestBytes(segmenter)).length);
    expect(card.totalBytes).toBe(card.policy.bytes! + card.segmenter.bytes!);
    // What was written is what was returned, and it reads back as a shipped card.
    const written = JSON.parse(await readFile(join(out, 'card.json'), 'utf8')) as unknown;
    expect(written).toEqual(card);
    expect(parseNanoCard(written, 'card.json', { shipped: true })).toEqual(card);
    expect((await readdir(out)).sort()).toEqual(['card.json', 'policy', 'segmenter']);
    expect(await readFile(join(out, 'policy', 'onnx', 'model.onnx'))).toEqual(POLICY_WEIGHT);
    expect(await readdir(join(root, 'ship-1'))).toEqual(['nano']);
  });

  it('replaces a previous bundle, and leaves it untouched when the new one fails a check', async () => {
    const out = join(root, 'ship-2', 'nano');
    await shipNanoBundle({ policy, segmenter, card: cardFile, out });
    const before = await readFile(join(out, 'card.json'), 'utf8');

    // A file that differs from its manifest (an interrupted export): refused after copying, nothing replaced.
    const broken = await fakeExport(join(root, 'broken'), 'omni-r1/segmenter', SAM_WEIGHT);
    await writeFile(join(broken, 'onnx', 'model.onnx'), SAM_WEIGHT.subarray(0, 10));
    expect(await lineOf(shipNanoBundle({ policy, segmenter: broken, card: cardFile, out }))).toBe(
      `--segmenter ${broken}: onnx/model.onnx is missing or differs from its omni-manifest.json (re-export with omni export segmenter --from CKPT --out DIR)`,
    );
    // Over the size limit.
    expect(await lineOf(shipNanoBundle({ policy, segmenter, card: cardFile, out, maxBytes: 3500 }))).toMatch(/^the nano pair is 4\.\d KiB \(policy 3\.\d KiB, segmenter 1\.\d KiB\), over the 0\.0035 MB the repository allows/);
    expect(await readFile(join(out, 'card.json'), 'utf8')).toBe(before);
    expect(await readdir(join(root, 'ship-2'))).toEqual(['nano']);

    // A different policy replaces the whole bundle.
    const other = await fakeExport(join(root, 'policy-2'), 'omni-r1/policy', Buffer.alloc(10, 1));
    const { card } = await shipNanoBundle({ policy: other, segmenter, card: cardFile, out });
    expect(card.policy.files!.find((f) => f.path === 'onnx/model.onnx')!.bytes).toBe(10);
    expect((await readFile(join(out, 'policy', 'onnx', 'model.onnx'))).length).toBe(10);
    expect(await readdir(join(root, 'ship-2'))).toEqual(['nano']);
  });

  it('refuses the wrong kind of folder, a card for other backends, and warns about a segmenter without video graphs', async () => {
    const out = join(root, 'ship-3', 'nano');
    expect(await lineOf(shipNanoBundle({ policy: segmenter, segmenter, card: cardFile, out }))).toBe(
      `--policy ${segmenter} holds a omni-r1/segmenter export, not omni-r1/policy (pass the folder written by omni export policy --from CKPT --out DIR)`,
    );
    expect(await lineOf(shipNanoBundle({ policy: join(root, 'card.json'), segmenter, card: cardFile, out }))).toBe(
      `--policy ${join(root, 'card.json')} is not a folder (pass the folder written by omni export policy)`,
    );
    const otherCard = join(root, 'other-card.json');
    await writeFile(otherCard, JSON.stringify({ ...tinyCard(), segmenter: { ...tinyCard().segmenter, backend: 'threshold' } }));
    expect(await lineOf(shipNanoBundle({ policy, segmenter, card: otherCard, out }))).toBe(
      `${otherCard}: segmenter.backend must be "sam2" (the backend the bundled default is for), got "threshold"`,
    );
    const imageOnly = await fakeExport(join(root, 'sam-image-only'), 'omni-r1/segmenter', SAM_WEIGHT, { videoGraphs: {} });
    const { warnings } = await shipNanoBundle({ policy, segmenter: imageOnly, card: cardFile, out });
    expect(warnings).toEqual(['the segmenter has no video graphs: omni infer will mask the keyframes only, without propagation']);
  });

  it('scripts/nano/ship.mjs ships through the built library and reports one line', async () => {
    const out = join(root, 'ship-script', 'nano');
    const { stdout } = await promisify(execFile)(process.execPath, [resolve('scripts/nano/ship.mjs'), '--policy', policy, '--segmenter', segmenter, '--card', cardFile, '--out', out], { cwd: root });
    expect(stdout).toMatch(/^shipped ship-script\/nano: policy 3\.\d KiB \(2 files\), segmenter 1\.\d KiB \(2 files\), 4\.\d KiB in all\n$/);
    expect(existsSync(join(out, 'card.json'))).toBe(true);
    const failed = await promisify(execFile)(process.execPath, [resolve('scripts/nano/ship.mjs'), '--policy', policy], { cwd: root }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toBe('ship: --segmenter is missing (usage: node scripts/nano/ship.mjs --policy DIR --segmenter DIR --card FILE [--out DIR])\n');
  });

  it('the limit is the issue\'s 30 MB', () => {
    expect(NANO_MAX_BYTES).toBe(30_000_000);
  });
});

describe('the card', () => {
  it('each malformed field is one line naming the file and the field', () => {
    const bad = (patch: (card: Record<string, unknown>) => void) => {
      const card = JSON.parse(JSON.stringify(tinyCard())) as Record<string, unknown>;
      patch(card);
      try {
        parseNanoCard(card, 'c.json', { shipped: false });
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as InputError).message;
      }
      return 'accepted';
    };
    expect(bad(() => {})).toBe('accepted');
    expect(bad((c) => (c.version = 2))).toBe('c.json: version must be 1');
    expect(bad((c) => ((c.policy as Record<string, unknown>).parameters = 1.5))).toBe('c.json: policy.parameters must be a whole number >= 0');
    expect(bad((c) => ((c.segmenter as { training: { commands: unknown[] } }).training.commands = []))).toBe('c.json: segmenter.training.commands must be a non-empty array');
    expect(bad((c) => ((c.policy as { training: { seeds: unknown } }).training.seeds = { init: -1 }))).toBe('c.json: policy.training.seeds.init must be a whole number >= 0');
    expect(bad((c) => ((c.policy as { sizes: unknown }).sizes = { layers: true }))).toBe('c.json: policy.sizes.layers must be a number, a string or an array of numbers');
    expect(bad((c) => (c.eval = [{ name: 'x', metric: 'J&F', value: 'high' }]))).toBe('c.json: eval[0].value must be a finite number');
    // A shipped card must have the lists the ship script fills.
    expect(() => parseNanoCard(tinyCard(), 'card.json', { shipped: true })).toThrow('card.json: policy.files must be an array');
  });

  it('reads as people expect', () => {
    const card: NanoCard = {
      ...tinyCard(),
      policy: { ...tinyCard().policy, parameters: 2_500_000, bytes: 10 * 2 ** 20, files: [{ path: 'a', bytes: 10 * 2 ** 20, sha256: '0'.repeat(64) }] },
      segmenter: { ...tinyCard().segmenter, training: { ...tinyCard().segmenter.training, durationSeconds: 1800, notes: 'image stage only' }, bytes: 2048, files: [] },
      eval: [
        { name: '(a) SFT', metric: 'J&F', value: 0.4123, split: 'seed 9' },
        { name: '(c) SFT + GRPO', metric: 'J&F', value: 0.5 },
      ],
      totalBytes: 10 * 2 ** 20 + 2048,
    };
    expect(formatNanoCard(card, { dir: '/b/nano', policy: '/b/nano/policy', segmenter: '/b/nano/segmenter' }).split('\n')).toEqual([
      'nano (bundled): test stand-in for the nano pair',
      'folder: /b/nano; model files 10.0 MiB',
      '',
      'policy (qwen-omni backend): Qwen2_5OmniThinkerForConditionalGeneration',
      '  folder: /b/nano/policy',
      '  parameters: 2.50 M; files: 10.0 MiB in 1',
      '  sizes: hidden_size 32, num_hidden_layers 2',
      '  training: 2 s; seeds: init 5',
      '  data: none: test fixture',
      '    writeAnsweringThinkerCheckpoint',
      '',
      'segmenter (sam2 backend): Sam2VideoModel',
      '  folder: /b/nano/segmenter',
      '  parameters: 65.4 k; files: 2.0 KiB in 0',
      '  sizes: image_size 64, hidden 8/16',
      '  training: 30 min; seeds: init 5',
      '  data: none: test fixture',
      '    writeTinySam2VideoCheckpoint',
      '  notes: image stage only',
      '',
      'eval:',
      '  (a) SFT         J&F 0.412  (seed 9)',
      '  (c) SFT + GRPO  J&F 0.500',
      '',
    ]);
  });
});

describe('nano as a model reference and as the default', () => {
  const saved = process.env.OMNI_BUNDLED_MODELS;
  let bundled: string;
  beforeAll(async () => {
    bundled = join(root, 'bundled');
    await shipNanoBundle({ policy, segmenter, card: cardFile, out: join(bundled, 'nano') });
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.OMNI_BUNDLED_MODELS;
    else process.env.OMNI_BUNDLED_MODELS = saved;
  });

  it('OMNI_BUNDLED_MODELS moves the bundle; the default is <package>/models', () => {
    expect(nanoBundlePaths({}).dir).toBe(resolve('models', 'nano'));
    expect(nanoBundlePaths({ OMNI_BUNDLED_MODELS: bundled })).toEqual({
      dir: join(bundled, 'nano'),
      policy: join(bundled, 'nano', 'policy'),
      segmenter: join(bundled, 'nano', 'segmenter'),
      card: join(bundled, 'nano', 'card.json'),
    });
    expect(bundledNanoFolder('segmenter', { OMNI_BUNDLED_MODELS: bundled })).toBe(join(bundled, 'nano', 'segmenter'));
    expect(bundledNanoFolder('segmenter', { OMNI_BUNDLED_MODELS: join(root, 'nothing') })).toBeUndefined();
  });

  it('resolveModelRef: nano by role; a store model called nano wins; without a role nano is a store name', async () => {
    const env = { OMNI_BUNDLED_MODELS: bundled };
    const home = join(root, 'home');
    expect(await resolveModelRef('nano', { env, omniHome: home, role: 'policy' })).toEqual({ path: join(bundled, 'nano', 'policy'), source: 'bundled', name: 'nano' });
    expect((await resolveModelRef('nano', { env, omniHome: home, role: 'segmenter' })).path).toBe(join(bundled, 'nano', 'segmenter'));
    // Without a role nano is only a store name.
    expect(await lineOf(resolveModelRef('nano', { env, omniHome: home, cwd: root, what: 'policy model' }))).toBe(
      `no policy model "nano" in the store ${join(home, 'models')} and no folder ${join(root, 'nano')} (the store ${join(home, 'models')} is empty; fetch a model with omni models pull <owner/name>)`,
    );
    const missing = join(root, 'nothing');
    expect(await lineOf(resolveModelRef('nano', { env: { OMNI_BUNDLED_MODELS: missing }, omniHome: home, role: 'segmenter' }))).toBe(
      `the bundled nano models are missing (no ${join(missing, 'nano', 'segmenter', 'omni-manifest.json')}) (this checkout has no models/nano; pass a segmenter model folder instead, or install the pair with node scripts/nano/ship.mjs --policy DIR --segmenter DIR --card FILE)`,
    );
    await mkdir(join(home, 'models', 'nano'), { recursive: true });
    expect(await resolveModelRef('nano', { env, omniHome: home, role: 'policy' })).toMatchObject({ path: join(home, 'models', 'nano'), source: 'store' });
    expect(() => requireBundledNano('policy', { OMNI_BUNDLED_MODELS: missing })).toThrow(InputError);
  });

  it('listBundledModels and readBundledNanoCard read the shipped folder', async () => {
    const env = { OMNI_BUNDLED_MODELS: bundled };
    const models = await listBundledModels(env);
    expect(models.map(({ name, role, path, files }) => ({ name, role, path, files: files.map((f) => f.path) }))).toEqual([
      { name: 'nano', role: 'policy', path: join(bundled, 'nano', 'policy'), files: ['omni-manifest.json', 'onnx/model.onnx'] },
      { name: 'nano', role: 'segmenter', path: join(bundled, 'nano', 'segmenter'), files: ['omni-manifest.json', 'onnx/model.onnx'] },
    ]);
    expect(await listBundledModels({ OMNI_BUNDLED_MODELS: join(root, 'nothing') })).toEqual([]);
    expect((await readBundledNanoCard(env)).policy.files).toHaveLength(2);
  });

  it('createBackend: only qwen-omni and sam2 fall back to the bundle, only when asked to, and tell onBundled', async () => {
    process.env.OMNI_BUNDLED_MODELS = bundled;
    const seen: Array<{ kind: string; name: string; model: string | undefined }> = [];
    const registry = new BackendRegistry();
    const fake = (kind: 'policy' | 'segmenter', name: string) => ({
      kind,
      name,
      description: 'records its context',
      create: async (context: BackendContext) => {
        seen.push({ kind, name, model: context.model });
        return { name, close: async () => {} } as never;
      },
    });
    for (const [kind, name] of [['policy', 'qwen-omni'], ['segmenter', 'sam2'], ['segmenter', 'threshold']] as const) registry.register(fake(kind, name), 'test');
    const told: string[] = [];
    const context = { device: 'cpu' as const, loaded: { config: {} }, log: () => {}, warn: () => {}, onBundled: (role: string) => told.push(role) };
    const choice = (kind: 'policy' | 'segmenter', name: string) => ({ kind, name, source: 'default' as const });
    await createBackend(registry, 'policy', choice('policy', 'qwen-omni'), { ...context, model: undefined });
    await createBackend(registry, 'segmenter', choice('segmenter', 'sam2'), { ...context, model: undefined });
    await createBackend(registry, 'segmenter', choice('segmenter', 'threshold'), { ...context, model: undefined });
    await createBackend(registry, 'segmenter', choice('segmenter', 'sam2'), { ...context, model: 'my-sam' });
    await createBackend(registry, 'segmenter', choice('segmenter', 'sam2'), { ...context, onBundled: undefined, model: undefined });
    expect(seen).toEqual([
      { kind: 'policy', name: 'qwen-omni', model: join(bundled, 'nano', 'policy') },
      { kind: 'segmenter', name: 'sam2', model: join(bundled, 'nano', 'segmenter') },
      { kind: 'segmenter', name: 'threshold', model: undefined },
      { kind: 'segmenter', name: 'sam2', model: 'my-sam' },
      { kind: 'segmenter', name: 'sam2', model: undefined },
    ]);
    expect(told).toEqual(['policy', 'segmenter']);
    expect(BUNDLED_NOTICE).toBe('using the bundled nano models; see omni models info nano');
  });
});
