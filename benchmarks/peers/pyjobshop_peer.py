"""Run PyJobShop (CP-SAT backend) on one benchmark instance; print one JSON object.

Usage: python pyjobshop_peer.py FILE {jsp,fjs,fjs-sdst,problem} TIME_LIMIT WORKERS

The instance is read with the planner's own reader so both solvers see the same data (for
FJSP-SDST the same setup times between the same operations on each machine; ``problem`` is a
planner problem file, without calendars, which PyJobShop does not model); the schedule is
printed, with the setup each operation needs, so the planner's independent checker can verify
it.

Resource pools become renewable resources (with a constant capacity; pools with capacity
windows or needs during changeovers are refused), held by every mode of a task that needs them.

Time lags: a minimum lag is the delay of an end-before-start constraint, a maximum lag a
start-before-end constraint the other way with a negative delay. PyJobShop's delays are
constants, so a transfer share (whose overlap depends on the machines' durations) becomes
the tightest of them over the eligible machines: start-before-start and end-before-end
delays that are never shorter than the planner's, so PyJobShop's plans pass the planner's
checker (and PyJobShop solves a slightly harder problem where durations differ).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

from pyjobshop import Model

from planner.io import load_problem, read_instance
from planner.model import ProblemData
from planner.model.data import share_of


def main() -> None:
    path, fmt, limit, workers = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    problem = load_problem(path) if fmt == "problem" else read_instance(path, fmt)
    data = problem.build()
    started = time.perf_counter()
    model = Model()
    machines = [model.add_machine(name=m) for m in data.machine_ids]
    pools = [_renewable(model, data, k) for k in range(len(data.pool_ids))]
    tasks = []
    for j, ops in enumerate(data.job_operations):
        job = model.add_job(name=data.job_ids[j])
        for o in ops:
            task = model.add_task(job=job, name=f"{data.job_ids[j]}/{data.op_ids[o]}")
            needs = data.op_needs[o] if data.op_needs else ()
            if any(setup_only for _, _, setup_only in needs):
                raise SystemExit("PyJobShop holds resources for whole tasks, not changeovers")
            for m, duration in data.op_options[o]:
                held = [pools[k] for k, _, _ in needs]
                demands = [0, *(units for _, units, _ in needs)]
                model.add_mode(task, [machines[m], *held], duration, demands=demands)
            tasks.append(task)
    for o, preds in enumerate(data.op_predecessors):
        for p in preds:
            _add_arc(model, data, tasks, p, o)
    if data.has_setups:
        for m in range(data.num_machines):
            here = [o for o, options in enumerate(data.op_options) if m in dict(options)]
            for a in here:
                for b in here:
                    minutes = int(data.setup_times[m, data.op_family[a], data.op_family[b]])
                    if a != b and minutes > 0:
                        model.add_setup_time(machines[m], tasks[a], tasks[b], minutes)
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
    _add_setups(data, rows)
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


def _renewable(model: Model, data: ProblemData, pool: int) -> Any:
    """A resource pool as a renewable resource (PyJobShop's capacity is constant)."""
    if data.pool_windows[pool]:
        raise SystemExit("PyJobShop's renewable resources have one capacity, not windows")
    return model.add_renewable(data.pool_capacity[pool], name=data.pool_ids[pool])


def _add_arc(model: Model, data: ProblemData, tasks: list[Any], p: int, o: int) -> None:
    """The arc ``p -> o`` with its lags (see the module docstring); a component link is an
    end-before-start with the transfer time as delay."""
    lag, share, longest = data.arc(p, o)
    if data.lag_in_working_time(p, o):
        raise SystemExit("PyJobShop's lags count calendar time, not working time")
    if share is None:
        model.add_end_before_start(tasks[p], tasks[o], delay=lag)
    else:
        first = max(share_of(share, d) for _, d in data.op_options[p])
        last = max(share_of(share, d) for _, d in data.op_options[o])
        model.add_start_before_start(tasks[p], tasks[o], delay=first + lag)
        model.add_end_before_end(tasks[p], tasks[o], delay=last + lag)
    if longest is not None:
        model.add_start_before_end(tasks[o], tasks[p], delay=-longest)


def _add_setups(data: ProblemData, rows: list[dict[str, object]]) -> None:
    """The changeover each operation needs after the one before it on its machine."""
    family = {
        (data.job_ids[data.op_job[o]], data.op_ids[o]): data.op_family[o]
        for o in range(data.num_operations)
    }
    index = {name: m for m, name in enumerate(data.machine_ids)}
    last: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: (str(r["machine"]), int(str(r["start"])))):
        g = family[(str(row["job"]), str(row["operation"]))]
        m = index[str(row["machine"])]
        f = last.get(str(row["machine"]))
        needed = data.initial_setup[m, g] if f is None else data.setup_times[m, f, g]
        row["setup_before"] = int(needed) if data.num_families else 0
        last[str(row["machine"])] = g


if __name__ == "__main__":
    main()
