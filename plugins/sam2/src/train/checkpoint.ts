/**
 * Training checkpoints: `<run>/checkpoints/step-NNNNNN/` holds a transformers-format Sam2Model checkpoint
 * (config.json + model.safetensors, what `omni export segmenter --from` reads) and `trainer/` (the Trainer's
 * parameters, AdamW moments and step, for --resume).
 */
import { access, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError, openCheckpoint, writeSafetensors, type TensorData, type WeightTensor } from 'omni-r1';
import { positionEmbedding } from '../model/hiera.js';
import { POS_EMBED_RESIZED } from './train-graph.js';

export const CHECKPOINTS_DIR = 'checkpoints';
export const TRAINER_DIR = 'trainer';

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/**
 * The checkpoint tensors: the initial weights overridden by the trained ones, with the trained resized position
 * embedding [1, H, W, C] written back as pos_embed [1, C, H, W] and a zero pos_embed_window (the nano config's
 * background size equals the grid, so the exporter's resize gives the trained values back exactly).
 */
export function checkpointTensors(initial: ReadonlyMap<string, TensorData>, trained: ReadonlyMap<string, TensorData>): Record<string, WeightTensor> {
  const out: Record<string, WeightTensor> = {};
  for (const [name, t] of initial) out[name] = { dtype: 'float32', shape: [...t.shape], data: t.data as Float32Array };
  for (const [name, t] of trained) {
    if (name === POS_EMBED_RESIZED) continue;
    out[name] = { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) };
  }
  const pos = trained.get(POS_EMBED_RESIZED);
  if (pos) {
    const [, h, w, c] = pos.shape as [number, number, number, number];
    const posEmbed = out['vision_encoder.backbone.pos_embed'];
    if (!posEmbed || posEmbed.shape.join(',') !== [1, c, h, w].join(',')) {
      throw new Error(`pos_embed must be [1, ${c}, ${h}, ${w}] (window_positional_embedding_background_size = the stage-0 grid) to hold the trained position embedding`);
    }
    const data = new Float32Array(c * h * w);
    const src = pos.data as Float32Array;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(k * h + y) * w + x] = src[(y * w + x) * c + k]!;
    out['vision_encoder.backbone.pos_embed'] = { dtype: 'float32', shape: [1, c, h, w], data };
    const window = out['vision_encoder.backbone.pos_embed_window']!;
    out['vision_encoder.backbone.pos_embed_window'] = { dtype: 'float32', shape: [...window.shape], data: new Float32Array(window.data.length) };
  }
  return out;
}

export async function writeModelCheckpoint(dir: string, configJson: unknown, tensors: Record<string, WeightTensor>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(configJson, null, 2)}\n`);
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}

/** The newest complete checkpoint of a run folder (its trainer state written), or undefined. */
export async function latestCheckpoint(runDir: string): Promise<string | undefined> {
  const root = join(runDir, CHECKPOINTS_DIR);
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => /^step-\d+$/.test(n)).sort();
  for (const name of names.reverse()) {
    if (await stat(join(root, name, TRAINER_DIR, 'trainer_state.json')).catch(() => null)) return join(root, name);
  }
  return undefined;
}

/** Every tensor of `<dir>/model.safetensors` (float32, as `omni train segmenter` writes them). */
export async function readCheckpointTensors(dir: string): Promise<Map<string, TensorData>> {
  const checkpoint = await openCheckpoint(join(dir, 'model.safetensors'));
  try {
    const out = new Map<string, TensorData>();
    for (const name of checkpoint.names()) {
      const t = await checkpoint.read(name);
      if (t.dtype !== 'float32') throw new InputError(`${dir}/model.safetensors: tensor ${name} is ${t.dtype}, expected float32`, { file: dir, hint: 'give a checkpoint written by `omni train segmenter`' });
      out.set(name, { dtype: 'float32', shape: [...t.shape], data: t.data });
    }
    return out;
  } finally {
    await checkpoint.close();
  }
}

const POS_EMBED = 'vision_encoder.backbone.pos_embed';
const POS_EMBED_WINDOW = 'vision_encoder.backbone.pos_embed_window';

/**
 * Overwrites `initial` with the tensors of a checkpoint (`source` names it in errors). Tensors named in `mayBeFresh`
 * keep their initial values when the checkpoint lacks them; any other missing tensor or shape mismatch is an error,
 * except the Hiera position embedding of a checkpoint trained at another input size: it becomes what the reference
 * model computes at the new size (pos_embed bicubically resized to the new grid plus the tiled window embedding),
 * stored as a pos_embed of the new grid with a zero window, so the warm-started model starts as the old one run at
 * the new size.
 */
export function warmStart(initial: Map<string, TensorData>, loaded: ReadonlyMap<string, TensorData>, source: string, mayBeFresh: ReadonlySet<string> = new Set()): void {
  let resampled = false;
  for (const [name, spec] of initial) {
    const t = loaded.get(name);
    if (!t && mayBeFresh.has(name)) continue;
    if (!t) throw new InputError(`${source}/model.safetensors has no tensor ${name}`, { file: source, hint: 'give a checkpoint of a nano SAM2 run (`omni train segmenter`)' });
    if (t.shape.join(',') === spec.shape.join(',')) {
      initial.set(name, t);
    } else if (name === POS_EMBED && t.shape.length === 4 && t.shape[1] === spec.shape[1]) {
      const [, channels, height, width] = spec.shape as [number, number, number, number];
      const window = loaded.get(POS_EMBED_WINDOW);
      if (!window) throw new InputError(`${source}/model.safetensors has no tensor ${POS_EMBED_WINDOW}`, { file: source, hint: 'give a checkpoint of a nano SAM2 run (`omni train segmenter`)' });
      const hwc = positionEmbedding({ shape: [...t.shape], data: t.data as Float32Array }, { shape: [...window.shape], data: window.data as Float32Array }, height, width);
      const chw = new Float32Array(hwc.length);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) chw[(c * height + y) * width + x] = hwc[(y * width + x) * channels + c]!;
      initial.set(name, { dtype: 'float32', shape: [...spec.shape], data: chw });
      resampled = true;
    } else {
      throw new InputError(`${source}/model.safetensors: ${name} is [${t.shape.join(', ')}], expected [${spec.shape.join(', ')}]`, { file: source, hint: 'the checkpoint is of another nano SAM2 size than this run' });
    }
  }
  const window = initial.get(POS_EMBED_WINDOW);
  if (resampled && window) initial.set(POS_EMBED_WINDOW, { dtype: 'float32', shape: [...window.shape], data: new Float32Array(window.data.length) });
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The checkpoint folder a `--from` names: itself when it holds model.safetensors, else the run's newest checkpoint. */
export async function checkpointFolder(from: string, flag = '--from'): Promise<string> {
  const dir = resolve(from);
  if (await exists(join(dir, 'model.safetensors'))) return dir;
  const latest = await latestCheckpoint(dir);
  if (!latest) {
    throw new InputError(`${flag} ${from} is neither a checkpoint folder (model.safetensors) nor a run folder with checkpoints/step-N/`, {
      file: from,
      hint: 'give the --out folder of an `omni train segmenter` run, or one of its checkpoints/step-N folders',
    });
  }
  return latest;
}
