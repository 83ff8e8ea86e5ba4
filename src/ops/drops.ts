// A DropCounter that also feeds the role's metrics, so every existing drops.count() call site
// is metered without touching it.
import { DropCounter } from '../net/drops.js';
import type { RoleMetrics } from './metrics.js';

export class MeteredDrops extends DropCounter {
  constructor(private readonly metrics: RoleMetrics) {
    super();
  }

  override count(reason: string): void {
    super.count(reason);
    this.metrics.drop(reason);
  }
}

export function dropCounter(metrics: RoleMetrics | undefined): DropCounter {
  return metrics ? new MeteredDrops(metrics) : new DropCounter();
}
