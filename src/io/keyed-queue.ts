/**
 * FIFO lanes, one per key (one per file), sharing a cap on how many tasks run at once.
 *
 * - Tasks on one key start in the order they were queued. An exclusive task (a write) runs
 *   alone on its key; shared tasks (reads) next to each other run together, and never beside
 *   a write, so a read sees every write queued before it.
 * - Different keys proceed in parallel, up to `concurrency` tasks in all; lanes take turns.
 * - A task cancelled before it starts is dropped; a running task always runs to its end.
 */
export interface KeyedQueue {
  /** Queues `task` on `key`; returns a function that drops it if it has not started. */
  add(key: string, shared: boolean, task: () => Promise<void>): () => void;
  /** Resolves once nothing is queued or running. */
  idle(): Promise<void>;
  readonly queued: number;
  readonly running: number;
}

interface Task {
  readonly shared: boolean;
  readonly run: () => Promise<void>;
}

interface Lane {
  readonly tasks: Task[];
  exclusive: boolean;
  shared: number;
}

export function createKeyedQueue(concurrency: number): KeyedQueue {
  const limit = Math.max(1, Math.floor(concurrency));
  const lanes = new Map<string, Lane>();
  const ready = new Set<string>();
  let waiters: (() => void)[] = [];
  let queued = 0;
  let running = 0;

  const canStart = (lane: Lane, task: Task): boolean =>
    !lane.exclusive && (task.shared || lane.shared === 0);

  const start = (key: string, lane: Lane, task: Task): void => {
    running += 1;
    if (task.shared) lane.shared += 1;
    else lane.exclusive = true;
    const settle = (): void => {
      running -= 1;
      if (task.shared) lane.shared -= 1;
      else lane.exclusive = false;
      if (lane.tasks.length > 0) ready.add(key);
      else if (lane.shared === 0 && !lane.exclusive) lanes.delete(key);
      pump();
    };
    task.run().then(settle, settle);
  };

  const pump = (): void => {
    for (const key of ready) {
      if (running >= limit) break;
      ready.delete(key);
      const lane = lanes.get(key);
      if (lane === undefined) continue;
      const task = lane.tasks[0];
      if (task === undefined) {
        if (lane.shared === 0 && !lane.exclusive) lanes.delete(key);
        continue;
      }
      if (!canStart(lane, task)) continue;
      lane.tasks.shift();
      queued -= 1;
      start(key, lane, task);
      // Back of the line: other files get their turn before this one's next task.
      if (lane.tasks.length > 0) ready.add(key);
    }
    if (running === 0 && queued === 0) {
      const wake = waiters;
      waiters = [];
      for (const resolve of wake) resolve();
    }
  };

  return {
    add: (key, shared, run) => {
      let lane = lanes.get(key);
      if (lane === undefined) {
        lane = { tasks: [], exclusive: false, shared: 0 };
        lanes.set(key, lane);
      }
      const task: Task = { shared, run };
      lane.tasks.push(task);
      queued += 1;
      ready.add(key);
      pump();
      const owner = lane;
      return () => {
        const index = owner.tasks.indexOf(task);
        if (index < 0) return;
        owner.tasks.splice(index, 1);
        queued -= 1;
        // The next task may be startable now (a read that waited behind this write).
        ready.add(key);
        pump();
      };
    },
    idle: () => (running === 0 && queued === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
        waiters.push(resolve);
      })),
    get queued() {
      return queued;
    },
    get running() {
      return running;
    },
  };
}
