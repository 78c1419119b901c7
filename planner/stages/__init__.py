"""The stages of a planning run (see :mod:`planner.pipeline`), each one input and one output:

* :mod:`~planner.stages.inputs`: scenario and files → :class:`PlanningInputs`;
* :func:`planner.pipeline.forecast`: inputs → demand per product and period;
* :mod:`~planner.stages.feedback`: lots ⇄ schedule until the schedule keeps to the periods;
* :mod:`~planner.stages.jobs`: lots → jobs (product, period, sub-lot, orders);
* :mod:`~planner.stages.sequence`: jobs → checked schedule;
* :mod:`~planner.stages.reschedule`: a previous plan's schedule as warm start and pins;
* :mod:`~planner.stages.assemble`: everything → :class:`~planner.plans.Plan`;
* :mod:`~planner.stages.budget`: the run's time split across the stages.
"""
