import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand, sharedFlagHelp, sharedFlags } from '../../base-command.js';
import { omniHome } from '../../core/config.js';
import { selectBackends } from '../../core/backends.js';
import { resolveDevice } from '../../core/device.js';
import { InputError } from '../../core/errors.js';
import { evaluate, evaluateWithModels, ProgressReporter, SUMMARY_MD, type EvalSummary, type EvaluateOptions } from '../../core/eval/index.js';
import { numberFlag, parseShard, requireDirectory } from '../../core/input-checks.js';
import { bundledNoticeOnce, createBackend } from '../infer.js';

export default class Eval extends BaseCommand {
  static override description =
    'Score predictions on a dataset (J, F, J&F; RefAVS and ReVOS tables as in the paper), or run the configured policy and segmenter first and score their output.';

  static override examples = [
    '<%= config.bin %> eval --dataset revos --data-root data/revos --split valid --predictions preds/ --out report/',
    '<%= config.bin %> eval --dataset refavs --data-root data/refavs --split test_s --shard 1/4 --out report-1/',
    '<%= config.bin %> eval --dataset revos --data-root data/revos --split valid --model ./omni-r1-onnx --segmenter-model ./sam2-onnx --out report/',
  ];

  static override flags = {
    dataset: Flags.string({ ...sharedFlagHelp.dataset, required: true }),
    'data-root': Flags.string({ ...sharedFlagHelp.dataRoot, required: true }),
    split: Flags.string({ description: 'Dataset split, e.g. valid, test_s, test_u, test_n.', default: 'valid', helpValue: '<split>' }),
    predictions: Flags.string({
      description:
        'Score this predictions folder: <video>/<exp_id>/<frame>.png (ReVOS, MeViS), <uid>/<i>.png (RefAVS; <vid>/fid_<fid>/<i>.png where no other expression shares that object), <id>.png (refCOCOg). Non-zero pixels are the object.',
      helpValue: '<dir>',
    }),
    policy: sharedFlags.policy,
    segmenter: sharedFlags.segmenter,
    device: sharedFlags.device,
    model: Flags.string({ description: 'Without --predictions: the policy model (System 1 and grounding). Default: config "models.policy", else the bundled nano policy.', helpValue: '<ref>' }),
    'grounding-model': Flags.string({ description: 'Without --predictions: a separate grounding model (System 2) for the policy backend, as omni infer --grounding-model. Default: the policy model itself (Omni-R1 serves as both systems).', helpValue: '<ref>' }),
    'segmenter-model': Flags.string({ description: 'Without --predictions: the segmenter model. Default: config "models.segmenter", else the bundled nano segmenter.', helpValue: '<ref>' }),
    'max-new-tokens': Flags.string({ description: 'Without --predictions: most tokens each generation may produce.', default: '1024', helpValue: '<n>' }),
    'vos-audio': Flags.boolean({ description: "Without --predictions: System 1 hears each ReVOS/MeViS video too, from audio.wav beside its frames (omni data synth writes it; the released datasets are video only).", default: false }),
    limit: Flags.string({ description: 'Score at most N items.', helpValue: '<n>' }),
    shard: Flags.string({ description: 'Score only shard k of n (1-based); combine with omni eval merge.', helpValue: '<k/n>' }),
    'skip-bad': Flags.boolean({ description: 'Skip items with bad data (counted and listed in the report) instead of failing.', default: false }),
    out: Flags.string({ description: 'Report folder: per_item.jsonl, summary.json, summary.md. Resumes if it exists.', required: true, helpValue: '<dir>' }),
    json: Flags.boolean({ description: 'Print summary.json to stdout (and no progress bar).', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Eval);
    const dataRoot = requireDirectory(flags['data-root'], '--data-root');
    const predictions = flags.predictions === undefined ? undefined : requireDirectory(flags.predictions, '--predictions');
    const modelOnly = (['vos-audio', 'grounding-model'] as const).filter((name) => flags[name] !== undefined && flags[name] !== false);
    if (predictions && modelOnly.length > 0) {
      const named = modelOnly.map((name) => `--${name}`).join(' and ');
      throw new InputError(`${named} ${modelOnly.length === 1 ? 'applies' : 'apply'} when omni eval runs the models; --predictions are scored as they are`, { hint: `drop ${named}` });
    }
    const limit = flags.limit === undefined ? undefined : numberFlag(flags.limit, 'limit', { min: 1, integer: true });
    const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);

    const maxNewTokens = numberFlag(flags['max-new-tokens'], 'max-new-tokens', { min: 1, integer: true });
    const loaded = this.loadConfig();
    const registry = await this.loadBackends();
    const backend = await registry.create('dataset', flags.dataset, {
      device: 'cpu',
      omniHome: omniHome(),
      options: loaded.config.backends?.[flags.dataset] ?? {},
      log: (message) => process.stderr.write(`${message}\n`),
      warn: (message) => this.warn(message),
    });
    const progress = new ProgressReporter({ enabled: !flags.json && process.stderr.isTTY === true });
    const common: Omit<EvaluateOptions, 'predictions'> = {
      dataset: flags.dataset,
      backend,
      dataRoot,
      split: flags.split,
      out: flags.out,
      limit,
      shard,
      skipBad: flags['skip-bad'],
      onProgress: (update) => progress.update(update),
    };
    let summary: EvalSummary;
    if (predictions) {
      try {
        summary = await evaluate({ ...common, predictions });
      } finally {
        progress.stop();
      }
    } else {
      // No predictions: run the configured policy + segmenter over the items first (src/core/eval/run-models.ts).
      const backends = selectBackends(registry, flags, loaded);
      const { device } = await resolveDevice(this.deviceRequest(flags.device, loaded));
      const bundled = new Set<string>();
      const notice = bundledNoticeOnce((message) => process.stderr.write(`${message}\n`));
      const onBundled = (role: 'policy' | 'segmenter') => {
        bundled.add(role);
        notice(role);
      };
      const context = { device, loaded, onBundled, log: (message: string) => process.stderr.write(`${message}\n`), warn: (message: string) => process.stderr.write(`omni: warning: ${message}\n`) };
      const policyRef = flags.model ?? loaded.config.models?.policy;
      const segmenterRef = flags['segmenter-model'] ?? loaded.config.models?.segmenter;
      const label = (role: 'policy' | 'segmenter', ref: string | undefined) => ref ?? (bundled.has(role) ? 'nano (bundled)' : 'default');
      const policy = await createBackend(registry, 'policy', backends.policy, { ...context, model: policyRef });
      let grounding;
      let segmenter;
      try {
        if (flags['grounding-model']) grounding = await createBackend(registry, 'policy', backends.policy, { ...context, model: flags['grounding-model'] });
        segmenter = await createBackend(registry, 'segmenter', backends.segmenter, { ...context, model: segmenterRef });
      } catch (error) {
        await Promise.all([policy.close(), grounding?.close()]);
        throw error;
      }
      try {
        summary = await evaluateWithModels({
          ...common,
          models: { policy, grounding, segmenter, maxNewTokens, groundingMaxNewTokens: maxNewTokens, warn: flags.json ? undefined : context.warn },
          modelsLabel: `${backends.policy.name}:${label('policy', policyRef)}${flags['grounding-model'] ? ` (grounding ${flags['grounding-model']})` : ''} + ${backends.segmenter.name}:${label('segmenter', segmenterRef)}${flags['vos-audio'] ? ' + vos audio' : ''}`,
          vosAudio: flags['vos-audio'],
        });
      } finally {
        progress.stop();
        await Promise.all([policy.close(), grounding?.close(), segmenter.close()]);
      }
    }
    if (flags.json) {
      this.log(JSON.stringify(summary, null, 2));
      return;
    }
    this.log(await readFile(join(resolve(flags.out), SUMMARY_MD), 'utf8'));
    const bad = summary.counts.skippedBadData + summary.counts.failedPredictions;
    if (bad > 0) this.warn(`${bad} item(s) had bad data or predictions; see the Problems section of ${join(flags.out, SUMMARY_MD)}`);
  }
}

