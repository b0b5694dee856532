/**
 * `omni export adapter`: a run's checkpoint -> PEFT adapter files, or the adapter merged into the base weights
 * (a checkpoint folder the policy writes, then exported to our ONNX layout by the caller). A `--full` run has no
 * adapter: its trained weights (the trainer state's parameters) replace the base weights in the same way.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { applyAdapter, injectLora, loadAdapter, mergeLora, saveAdapter, type LoadedAdapter } from '../../graph/lora/index.js';
import type { TensorData } from '../../graph/tensor-data.js';
import { TRAINER_STATE_JSON, TRAINER_STATE_TENSORS, type TrainerStateJson } from '../../graph/train/state.js';
import { SafetensorsFile } from '../../graph/weights/index.js';
import { RunDir } from '../run-dir.js';
import type { TrainablePolicy } from './policy.js';

/** The checkpoint folder of `step` (default: the last complete one) of a run. */
export async function runCheckpoint(runDir: RunDir, step?: number): Promise<{ step: number; dir: string }> {
  const steps = await runDir.checkpoints();
  if (steps.length === 0) throw new InputError(`${runDir.dir} has no checkpoint yet`, { file: runDir.dir, hint: 'train until --save-steps (or Ctrl-C) writes one' });
  const chosen = step ?? steps.at(-1)!;
  if (!steps.includes(chosen)) throw new InputError(`${runDir.dir} has no checkpoint of step ${chosen}`, { file: runDir.dir, hint: `use one of ${steps.join(', ')}` });
  return { step: chosen, dir: runDir.checkpointDir(chosen) };
}

/** Whether a checkpoint holds a LoRA adapter (otherwise it is a --full run's: every weight in the trainer state). */
export function isAdapterCheckpoint(checkpointDir: string): boolean {
  return existsSync(join(checkpointDir, 'adapter_model.safetensors'));
}

/** Reads the PEFT adapter of a checkpoint (LoRA runs). */
export async function readRunAdapter(checkpointDir: string): Promise<LoadedAdapter> {
  if (!isAdapterCheckpoint(checkpointDir)) {
    throw new InputError(`${checkpointDir} holds no LoRA adapter: the run fine-tuned every weight (--full)`, {
      file: checkpointDir,
      hint: 'export its weights as a model folder with --merge --out DIR',
    });
  }
  return loadAdapter(checkpointDir);
}

/** The trained weights of a --full run's checkpoint (canonical names -> float32 values), from its trainer state. */
export async function readFullWeights(checkpointDir: string): Promise<Map<string, TensorData>> {
  const jsonPath = join(checkpointDir, TRAINER_STATE_JSON);
  if (!existsSync(jsonPath)) throw new InputError(`${checkpointDir} is not a complete checkpoint (no ${TRAINER_STATE_JSON})`, { file: checkpointDir, hint: 'export another --step' });
  const state = JSON.parse(await readFile(jsonPath, 'utf8')) as TrainerStateJson;
  const file = await SafetensorsFile.open(join(checkpointDir, TRAINER_STATE_TENSORS));
  try {
    const weights = new Map<string, TensorData>();
    for (const name of state.parameters) {
      const t = await file.read(`param/${name}`);
      weights.set(name, { dtype: 'float32', shape: t.shape, data: t.data as Float32Array });
    }
    return weights;
  } finally {
    await file.close();
  }
}

/**
 * Writes the adapter as PEFT files into `out` (through a LoRA model rebuilt on the policy's scoring graph, so the
 * names and shapes are checked against the model).
 */
export async function writePeftAdapter(policy: TrainablePolicy, adapter: LoadedAdapter, out: string): Promise<void> {
  const lora = injectLora(policy.buildScoringGraph().graph, adapter.options);
  applyAdapter(lora, adapter.tensors);
  await saveAdapter(out, lora);
}

/** The base weights with the adapter folded in, by canonical name (only the adapted linears' weights). */
export function mergedWeights(policy: TrainablePolicy, adapter: LoadedAdapter): Map<string, TensorData> {
  const graph = policy.buildScoringGraph().graph;
  const lora = injectLora(graph, adapter.options);
  applyAdapter(lora, adapter.tensors);
  const weights = lora.adapters.map((a) => a.linear.weight);
  mergeLora(lora);
  const out = new Map<string, TensorData>();
  for (const name of weights) {
    const value = graph.initializers.get(name);
    if (!value || !('data' in value)) throw new Error(`mergedWeights: ${name} is not an in-memory weight`);
    out.set(name, value);
  }
  return out;
}

/** Writes a full checkpoint folder with the adapter merged (written beside `out`, then renamed). */
export async function writeMergedCheckpoint(policy: TrainablePolicy, adapter: LoadedAdapter, out: string): Promise<void> {
  await writeCheckpointFolder(policy, mergedWeights(policy, adapter), out);
}

/** Writes a full checkpoint folder with a --full run's trained weights in place of the base weights. */
export async function writeFullCheckpoint(policy: TrainablePolicy, weights: ReadonlyMap<string, TensorData>, out: string): Promise<void> {
  const trainable = new Set(policy.buildScoringGraph().parameterNames);
  const foreign = [...weights.keys()].filter((name) => !trainable.has(name));
  if (foreign.length > 0) throw new InputError(`the checkpoint trains ${foreign[0]}, which the run's model does not have`, { hint: 'export the run with the model it was trained from' });
  await writeCheckpointFolder(policy, weights, out);
}

async function writeCheckpointFolder(policy: TrainablePolicy, weights: ReadonlyMap<string, TensorData>, out: string): Promise<void> {
  if (!policy.writeCheckpoint) throw new Error('this policy cannot write checkpoints');
  const target = resolve(out);
  const partial = join(dirname(target), `.${target.split('/').at(-1)}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await policy.writeCheckpoint(partial, weights);
  await rm(target, { recursive: true, force: true });
  await rename(partial, target);
}
