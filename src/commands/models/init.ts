import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { OmniError } from '../../core/errors.js';
import { numberFlag } from '../../core/input-checks.js';

/** The library call of the bundled qwen-omni plugin (plugins/qwen-omni/src/nano/checkpoint.ts), typed here. */
interface NanoThinkerWriter {
  initNanoThinker(out: string, options: { seed?: number }): Promise<{ dir: string; parameters: number; regularVocabSize: number }>;
}

// Imported by name at run time: the plugin depends on omni-r1, so omni-r1's build cannot depend on its types.
const QWEN_OMNI_PLUGIN = '@omni-r1/plugin-qwen-omni';

async function loadWriter(): Promise<NanoThinkerWriter> {
  try {
    return (await import(QWEN_OMNI_PLUGIN)) as NanoThinkerWriter;
  } catch (error) {
    throw new OmniError(`cannot load ${QWEN_OMNI_PLUGIN}, which writes the nano thinker`, { hint: 'reinstall omni-r1 (the plugin ships with it)', cause: error });
  }
}

export default class ModelsInit extends BaseCommand {
  static override description =
    'Write a freshly initialised model to train: `nano` is the nano Qwen2.5-Omni thinker (vision + audio + text, ~2.4 M parameters) in the real checkpoint formats.';

  static override examples = ['<%= config.bin %> models init nano --out runs/nano/init --seed 0'];

  static override args = {
    name: Args.string({ description: 'Model to initialise.', required: true, options: ['nano'] }),
  };

  static override flags = {
    out: Flags.string({ description: 'Checkpoint folder to write (must not exist, or be empty).', required: true, helpValue: '<dir>' }),
    seed: Flags.string({ description: 'Seed of the weight init.', default: '0', helpValue: '<n>' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ModelsInit);
    const seed = numberFlag(flags.seed, 'seed', { min: 0, integer: true });
    const { initNanoThinker } = await loadWriter();
    const written = await initNanoThinker(flags.out, { seed });
    this.log(`wrote ${written.dir} (nano thinker, ${(written.parameters / 1e6).toFixed(2)} M parameters, ${written.regularVocabSize} BPE tokens, seed ${seed})`);
  }
}
