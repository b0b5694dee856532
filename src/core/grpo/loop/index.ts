// The GRPO / SFT training loop and its seams (policy interface, rollout worker, learner).
export * from './policy.js';
export * from './problems.js';
export * from './rollout.js';
export * from './objective.js';
export * from './learner.js';
export * from './config.js';
export * from './loop.js';
export * from './task-rewards.js';
export * from './vos-problems.js';
export * from './export-adapter.js';
export * from './system2.js';
export * from './progress.js';
export * from './plan.js';
export * from './train-command.js';
export * from './refavs-problems.js';
export * from './resume.js';
export * from './grounding-problems.js';
