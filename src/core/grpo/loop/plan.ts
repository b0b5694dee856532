/** The resolved plan `omni train --dry-run` prints: data, steps, and a memory estimate of the weights held. */
import type { TrainingConfig } from './config.js';
import { totalSteps } from './loop.js';
import type { TrainingProblem } from './problems.js';

export interface PlanDataset {
  name: string;
  root: string;
  problems: number;
}

export interface PlanModel {
  description: string;
  parameters: number;
  loraParameters: number;
}

export interface TrainingPlan {
  objective: TrainingConfig['objective'];
  datasets: PlanDataset[];
  tasks: Record<string, number>;
  steps: number;
  rolloutsPerStep: number;
  model: PlanModel;
  trainableParameters: number;
  /** Bytes of weights, optimizer state and gradients held in memory (activations not included). */
  memoryBytes: { weights: number; optimizer: number; total: number };
}

export function trainingPlan(config: TrainingConfig, datasets: PlanDataset[], problems: readonly TrainingProblem[], model: PlanModel): TrainingPlan {
  const tasks: Record<string, number> = {};
  for (const p of problems) tasks[p.task] = (tasks[p.task] ?? 0) + 1;
  const full = config.adapter.kind === 'full';
  const trainable = full ? model.parameters : model.loraParameters;
  const grpo = config.objective === 'grpo';
  // The training graph's weights, the reference copy (beta > 0), and the generation decoder's copy (GRPO).
  const copies = 1 + (grpo && config.loss.beta > 0 ? 1 : 0) + (grpo ? 1 : 0);
  const weights = 4 * model.parameters * copies;
  // Trainable values, AdamW's two moments and the accumulated gradient, float32.
  const optimizer = 4 * trainable * 4;
  return {
    objective: config.objective,
    datasets,
    tasks,
    steps: totalSteps(config, problems),
    rolloutsPerStep: grpo ? config.batchSize * config.sampling.numGenerations : config.batchSize,
    model,
    trainableParameters: trainable,
    memoryBytes: { weights, optimizer, total: weights + optimizer },
  };
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function renderPlan(plan: TrainingPlan, config: TrainingConfig): string {
  const lines = [
    `objective: ${plan.objective}${plan.objective === 'grpo' ? ` (${config.loss.numIterations > 1 ? `TRL ${config.loss.lossType}, ${config.loss.numIterations} iterations` : "authors' objective"}, beta ${config.loss.beta})` : ''}`,
    `model: ${plan.model.description}`,
    `training: ${config.adapter.kind === 'lora' ? `LoRA r=${config.adapter.rank} alpha=${config.adapter.alpha} on ${config.adapter.targets.join(',')}` : 'full fine-tuning'} -> ${plan.trainableParameters.toLocaleString('en-US')} trainable parameters`,
    ...plan.datasets.map((d) => `dataset: ${d.name} at ${d.root}: ${d.problems} problems`),
    `tasks: ${Object.entries(plan.tasks).map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}`,
    `steps: ${plan.steps} (${config.epochs} epoch(s), ${config.batchSize} prompt(s) per step${plan.objective === 'grpo' ? `, G=${config.sampling.numGenerations}: ${plan.rolloutsPerStep} rollouts per step` : ''})`,
    `sampling: temperature ${config.sampling.temperature}${Object.entries(config.sampling.taskTemperature ?? {}).map(([task, t]) => ` (${task} ${t})`).join('')}, top-p ${config.sampling.topP}, at most ${config.sampling.maxNewTokens} new tokens`,
    `optimizer: AdamW lr ${config.optimizer.lr}, weight decay ${config.optimizer.weightDecay}, cosine with ${config.optimizer.warmupRatio * 100}% warmup, max grad norm ${config.optimizer.maxGradNorm}`,
    `memory estimate: ${gib(plan.memoryBytes.total)} (weights ${gib(plan.memoryBytes.weights)}, optimizer + gradients ${gib(plan.memoryBytes.optimizer)}; activations not included)`,
    `checkpoints: every ${config.saveSteps} steps`,
  ];
  return `${lines.join('\n')}\n`;
}
