import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { formatBytes, modelStoreDir, storedModel } from '../../core/model-store.js';
import { formatNanoCard, readBundledNanoCard } from '../../core/models/bundled-card.js';
import { NANO_MODEL, nanoBundlePaths } from '../../core/models/bundled.js';

export default class ModelsInfo extends BaseCommand {
  static override description = 'Show a stored model (its folder, size and files), or the bundled nano pair (what it is and how it was trained).';

  static override examples = ['<%= config.bin %> models info nano', '<%= config.bin %> models info nano --json'];

  static override args = {
    name: Args.string({ description: 'Model name, as omni models list shows it; nano for the bundled pair.', required: true }),
  };

  static override flags = {
    json: Flags.boolean({ description: 'Print as JSON (for nano: its card.json).', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ModelsInfo);
    // A store model called nano wins, as it does for model references.
    if (args.name === NANO_MODEL && !existsSync(join(modelStoreDir(), NANO_MODEL))) {
      const card = await readBundledNanoCard();
      this.log(flags.json ? JSON.stringify(card, null, 2) : formatNanoCard(card, nanoBundlePaths()).trimEnd());
      return;
    }
    const model = await storedModel(args.name);
    if (flags.json) {
      this.log(JSON.stringify(model, null, 2));
      return;
    }
    this.log(`${model.name}  ${formatBytes(model.bytes)}  ${model.path}`);
    for (const file of model.files) this.log(`  ${file.path}  ${formatBytes(file.bytes)}`);
  }
}
