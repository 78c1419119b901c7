"""Reading and writing: problem files, benchmark instances, price CSVs."""

from planner.io.benchmarks import read_fjs, read_instance, read_jobshop
from planner.io.prices import HourlyPrices, load_hourly_prices
from planner.io.problem_file import (
    load_problem,
    load_problem_file,
    read_structured,
    read_with_solver_section,
    resolve_tariff,
)

__all__ = [
    "HourlyPrices",
    "load_hourly_prices",
    "load_problem",
    "load_problem_file",
    "read_fjs",
    "read_instance",
    "read_jobshop",
    "read_structured",
    "read_with_solver_section",
    "resolve_tariff",
]
