"""Reports: Gantt and energy charts (plotly), KPI summaries, output folders."""

from planner.report.energy import energy_figure, load_profile
from planner.report.gantt import gantt_figure
from planner.report.output import plan_files, write_atomic

__all__ = ["energy_figure", "gantt_figure", "load_profile", "plan_files", "write_atomic"]
