/**
 * The problems of a run with each prompt built once per step. In a GRPO step the rollout worker and the learner both
 * ask for a problem's messages; handing both the same messages object lets the policy's prompt cache (keyed by that
 * object) skip a second decode of the media and a second pass of the vision and audio towers. `nextStep()` drops the
 * step's prompts, so no more than one batch of decoded media is held.
 */
import type { ChatMessage } from '../../../plugins/api.js';
import type { TrainingProblem } from './problems.js';

export class StepMessages {
  readonly problems: ReadonlyMap<string, TrainingProblem>;
  private readonly built = new Map<string, Promise<ChatMessage[]>>();

  constructor(problems: ReadonlyMap<string, TrainingProblem>) {
    this.problems = new Map([...problems].map(([id, problem]) => [id, { ...problem, messages: () => this.messagesOf(problem) }]));
  }

  nextStep(): void {
    this.built.clear();
  }

  private messagesOf(problem: TrainingProblem): Promise<ChatMessage[]> {
    const known = this.built.get(problem.id);
    if (known) return known;
    const pending = problem.messages();
    this.built.set(problem.id, pending);
    // A failed build (a frame file gone) is tried again when asked next, not remembered.
    pending.catch(() => this.built.delete(problem.id));
    return pending;
  }
}
