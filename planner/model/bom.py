"""Bills of materials: products that consume other products (a cabinet needs 2 panels and 1
frame), checked for unknown components and cycles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import Field

from planner.model.errors import InputIssue
from planner.model.factory import Frozen


class Component(Frozen):
    """Units of another product that one unit of a product consumes.

    Parameters
    ----------
    product
        The component's product id.
    quantity
        Units of the component per unit of the product made.
    lead_periods
        Lot sizing: the component must be made this many periods before the product's batch
        that consumes it (0: in the same period or earlier).
    """

    product: str = Field(min_length=1)
    quantity: float = Field(gt=0)
    lead_periods: int = Field(default=0, ge=0)


class BillLine(Component):
    """A component of a scenario product, with where and when the routing consumes it.

    Parameters
    ----------
    step
        The routing step that consumes it (its first step when omitted): that step starts only
        after the jobs that make the component have ended.
    transfer_minutes
        Minutes from the end of a component's job to the start of the step that consumes it
        (moving it to the line), in calendar time.
    """

    step: str | None = None
    transfer_minutes: int = Field(default=0, ge=0)


class _WithComponents(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def components(self) -> Sequence[Component]: ...


def bill_issues(products: Sequence[_WithComponents], path: str) -> list[InputIssue]:
    """Problems with the products' bills of materials, each at its path under ``path`` (the
    products' list): unknown components, a product that consumes itself, the same component
    listed twice, and cycles (a product that ends up needing itself through its components)."""
    known = {p.id for p in products}
    issues: list[InputIssue] = []
    for k, product in enumerate(products):
        seen: set[str] = set()
        for n, line in enumerate(product.components):
            at = f"{path}[{k}].components[{n}].product"
            if line.product == product.id:
                issues.append(InputIssue(at, f"{product.id!r} cannot consume itself"))
            elif line.product not in known:
                issues.append(InputIssue(at, f"unknown product {line.product!r}"))
            elif line.product in seen:
                issues.append(
                    InputIssue(at, f"{line.product!r} is listed twice: give one line per component")
                )
            seen.add(line.product)
    cycle = _cycle(products)
    if cycle is not None:
        k = next(k for k, p in enumerate(products) if p.id == cycle[0])
        issues.append(
            InputIssue(
                f"{path}[{k}].components",
                "the bill of materials has a cycle: " + " -> ".join(cycle) + "; a product "
                "cannot need itself through its components",
            )
        )
    return issues


def _cycle(products: Sequence[_WithComponents]) -> list[str] | None:
    """The first cycle of the component graph (ids, the first repeated at the end), if any;
    self-references and unknown ids are left to :func:`bill_issues`'s other checks."""
    needs = {p.id: [c.product for c in p.components if c.product != p.id] for p in products}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(product: str) -> list[str] | None:
        state[product] = 1
        path.append(product)
        for component in needs.get(product, []):
            if state.get(component) == 1:
                return [*path[path.index(component) :], component]
            if component in needs and component not in state:
                found = visit(component)
                if found is not None:
                    return found
        path.pop()
        state[product] = 2
        return None

    for product in needs:
        if product not in state:
            found = visit(product)
            if found is not None:
                return found
    return None


def levels(products: Sequence[_WithComponents]) -> list[int]:
    """Each product's level in an acyclic bill of materials: 0 for a product no other
    consumes, else one more than the deepest product consuming it (so every consumer has a
    lower level than its components)."""
    index = {p.id: k for k, p in enumerate(products)}
    level = [0] * len(products)
    for _ in range(len(products)):
        changed = False
        for k, product in enumerate(products):
            for line in product.components:
                c = index.get(line.product)
                if c is not None and c != k and level[c] < level[k] + 1:
                    level[c] = level[k] + 1
                    changed = True
        if not changed:
            break
    return level
