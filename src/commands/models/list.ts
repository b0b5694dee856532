import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { formatBytes, listStoredModels, modelStoreDir } from '../../core/model-store.js';
import { listBundledModels, nanoBundlePaths } from '../../core/models/bundled.js';

export default class ModelsList extends BaseCommand {
  static override description = 'List the models in the local store ($OMNI_HOME/models) and the bundled nano pair.';

  static override flags = {
    json: Flags.boolean({ description: 'Print the list as JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ModelsList);
    const store = modelStoreDir();
    const models = await listStoredModels(store);
    const bundled = await listBundledModels();
    if (flags.json) {
      this.log(
        JSON.stringify(
          {
            store,
            models: models.map(({ name, path, bytes, files }) => ({ name, path, bytes, files: files.length })),
            // Only when present, so a checkout without models/nano lists just the store.
            ...(bundled.length > 0 ? { bundled: bundled.map(({ name, role, path, bytes, files }) => ({ name, role, path, bytes, files: files.length })) } : {}),
          },
          null,
          2,
        ),
      );
      return;
    }
    if (models.length === 0) {
      this.log(`no models in ${store} (fetch one with omni models pull <hub-id>)`);
    } else {
      const width = Math.max(...models.map((model) => model.name.length));
      for (const model of models) {
        this.log(`${model.name.padEnd(width)}  ${formatBytes(model.bytes).padStart(10)}  ${model.files.length} files`);
      }
      this.log(`store: ${store}`);
    }
    if (bundled.length === 0) return;
    this.log(`bundled (the default models; omni models info nano): ${nanoBundlePaths().dir}`);
    for (const model of bundled) {
      this.log(`  ${`${model.name} ${model.role}`.padEnd(14)}  ${formatBytes(model.bytes).padStart(10)}  ${model.files.length} files`);
    }
  }
}
