import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InputError, OmniError } from '../../core/errors.js';
import {
  isAdapterCheckpoint,
  readFullWeights,
  readRunAdapter,
  RunDir,
  runCheckpoint,
  writeFullCheckpoint,
  writeMergedCheckpoint,
  writePeftAdapter,
  type RunConfigFile,
  type TrainablePolicyPlugin,
} from '../../core/grpo/index.js';
import { numberFlag, requireDirectory } from '../../core/input-checks.js';

/** The plugin calls this command needs (the bundled qwen-omni plugin), typed here. */
interface QwenOmniPlugin {
  QwenTrainablePolicy: TrainablePolicyPlugin;
  exportPolicy(options: { from: string; out: string; dtype: 'fp32' | 'fp16' | 'int4'; force?: boolean }): Promise<{ out: string }>;
}

// Imported by name at run time: the plugin depends on omni-r1, so omni-r1's build cannot depend on its types.
const QWEN_OMNI_PLUGIN = '@omni-r1/plugin-qwen-omni';

async function loadPlugin(): Promise<QwenOmniPlugin> {
  try {
    return (await import(QWEN_OMNI_PLUGIN)) as QwenOmniPlugin;
  } catch (error) {
    throw new OmniError(`cannot load ${QWEN_OMNI_PLUGIN}, which exports adapters`, { hint: 'reinstall omni-r1 (the plugin ships with it)', cause: error });
  }
}

export default class ExportAdapter extends BaseCommand {
  static override description =
    'Export the LoRA adapter of a training run as PEFT files (adapter_model.safetensors + adapter_config.json), or merge it into a full model (--full runs: --merge only).';

  static override examples = [
    '<%= config.bin %> export adapter --run runs/a --out adapter/',
    '<%= config.bin %> export adapter --run runs/a --step 400 --merge --out models/omni-r1-tuned',
  ];

  static override flags = {
    run: Flags.string({ description: 'Run directory written by omni train.', required: true, helpValue: '<dir>' }),
    step: Flags.string({ description: 'Checkpoint step; default: the last one.', helpValue: '<n>' }),
    merge: Flags.boolean({ description: 'Merge the adapter into the base weights (a --full run: take its weights) and write a full model folder.', default: false }),
    out: Flags.string({ description: 'Folder to write.', required: true, helpValue: '<dir>' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExportAdapter);
    const run = requireDirectory(flags.run, '--run directory');
    const step = flags.step === undefined ? undefined : numberFlag(flags.step, 'step', { min: 0, integer: true });
    if (flags.merge && flags.out === flags.run) throw new InputError('--out must differ from --run when merging', { hint: 'write the merged model to a new folder' });
    if (flags.merge && existsSync(flags.out) && readdirSync(flags.out).length > 0) {
      throw new InputError(`${flags.out} is not empty`, { file: flags.out, hint: 'merge into a new or empty folder' });
    }
    const runDir = await RunDir.open(run);
    const config = await runDir.readConfig<RunConfigFile>();
    const checkpoint = await runCheckpoint(runDir, step);
    // A --full run has no adapter (readRunAdapter says to use --merge); its weights go straight into the model folder.
    const full = !isAdapterCheckpoint(checkpoint.dir);
    const adapter = full && flags.merge ? undefined : await readRunAdapter(checkpoint.dir);
    const plugin = await loadPlugin();
    const policy = await plugin.QwenTrainablePolicy.open(config.model);
    try {
      if (!flags.merge) {
        await writePeftAdapter(policy, adapter!, flags.out);
        process.stdout.write(`adapter of step ${checkpoint.step} written to ${flags.out} (PEFT: adapter_model.safetensors, adapter_config.json)\n`);
        return;
      }
      // The merged checkpoint is built beside --out, exported into --out, and its safetensors kept there.
      const merged = `${flags.out.replace(/\/+$/, '')}.merged-checkpoint`;
      if (adapter) await writeMergedCheckpoint(policy, adapter, merged);
      else await writeFullCheckpoint(policy, await readFullWeights(checkpoint.dir), merged);
      await plugin.exportPolicy({ from: merged, out: flags.out, dtype: 'fp32' });
      await rename(join(merged, 'model.safetensors'), join(flags.out, 'model.safetensors'));
      await rm(merged, { recursive: true, force: true });
      process.stdout.write(`step ${checkpoint.step} ${adapter ? 'merged' : '(full fine-tune) written'} into ${flags.out} (ONNX model folder + model.safetensors)\n`);
    } finally {
      await policy.release();
    }
  }
}
