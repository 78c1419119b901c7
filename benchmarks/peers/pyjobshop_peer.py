"""Run PyJobShop (CP-SAT backend) on one benchmark instance; print one JSON object.

Usage: python pyjobshop_peer.py FILE {jsp,fjs} TIME_LIMIT WORKERS

The instance is read with the planner's own reader so both solvers see the same data; the
schedule is printed so the planner's independent checker can verify it.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from pyjobshop import Model

from planner.io import read_instance


def main() -> None:
    path, fmt, limit, workers = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    data = read_instance(path, fmt).build()
    started = time.perf_counter()
    model = Model()
    machines = [model.add_machine(name=m) for m in data.machine_ids]
    tasks = []
    for j, ops in enumerate(data.job_operations):
        job = model.add_job(name=data.job_ids[j])
        for o in ops:
            task = model.add_task(job=job, name=f"{data.job_ids[j]}/{data.op_ids[o]}")
            for m, duration in data.op_options[o]:
                model.add_mode(task, machines[m], duration)
            tasks.append(task)
    for o, preds in enumerate(data.op_predecessors):
        for p in preds:
            model.add_end_before_start(tasks[p], tasks[o])
    result = model.solve("ortools", time_limit=limit, display=False, num_workers=workers)
    runtime = time.perf_counter() - started
    rows = []
    modes = model.modes
    for o, task_data in enumerate(result.best.tasks):
        mode = modes[task_data.mode]
        machine = mode.resources[0]
        rows.append(
            {
                "job": data.job_ids[data.op_job[o]],
                "operation": data.op_ids[o],
                "machine": data.machine_ids[machine],
                "start": int(task_data.start),
                "end": int(task_data.end),
            }
        )
    print(
        json.dumps(
            {
                "makespan": result.objective,
                "lower_bound": result.lower_bound,
                "status": str(
                    result.status.value if hasattr(result.status, "value") else result.status
                ),
                "runtime_s": runtime,
                "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "schedule": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
