"""What a designer would call a broken drawing, from where bpmn-js placed things
(tests/ui/modeler.html `layout()`): a sequence flow running through a shape that is neither
its source nor its target (nor the task a boundary end sits on), and a label lying on a shape
or on another label."""

from __future__ import annotations

from typing import Any

Box = tuple[float, float, float, float]  # x, y, width, height
# Containers: flows run inside them by design.
CONTAINERS = ("bpmn:Participant", "bpmn:Lane", "bpmn:SubProcess", "bpmn:TextAnnotation", "bpmn:Group")


def _box(element: dict[str, Any]) -> Box:
    return element["x"], element["y"], element["width"], element["height"]


def segment_crosses(p: tuple[float, float], q: tuple[float, float], box: Box, inset: float = 2) -> bool:
    """Whether the segment p-q passes through `box` shrunk by `inset` (touching an edge is not crossing)."""
    x0, y0, x1, y1 = box[0] + inset, box[1] + inset, box[0] + box[2] - inset, box[1] + box[3] - inset
    if x0 >= x1 or y0 >= y1:
        return False
    dx, dy = q[0] - p[0], q[1] - p[1]
    low, high = 0.0, 1.0
    # Clip the segment against each side of the box (Liang-Barsky).
    for step, room in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if step == 0:
            if room < 0:
                return False
            continue
        t = room / step
        if step < 0:
            low = max(low, t)
        else:
            high = min(high, t)
    return low < high


def overlap(a: Box, b: Box, inset: float = 1) -> bool:
    """Whether boxes `a` and `b` share more than a border (`inset` pixels of slack)."""
    return (a[0] + inset < b[0] + b[2] - inset and b[0] + inset < a[0] + a[2] - inset
            and a[1] + inset < b[1] + b[3] - inset and b[1] + inset < a[1] + a[3] - inset)


def layout_problems(elements: list[dict[str, Any]]) -> list[str]:
    """Each flow through a foreign shape and each label on a shape or another label, named."""
    by_id = {e["id"]: e for e in elements}
    shapes = {e["id"]: e for e in elements
              if e["waypoints"] is None and e["type"] != "label" and e["type"] not in CONTAINERS}
    labels = [e for e in elements if e["type"] == "label"]
    problems = []
    for flow in (e for e in elements if e["waypoints"]):
        ends = {flow["source"], flow["target"]}
        ends |= {by_id[end]["host"] for end in list(ends) if end in by_id and by_id[end].get("host")}
        points = [tuple(p) for p in flow["waypoints"]]
        for shape_id, shape in shapes.items():
            if shape_id in ends or shape.get("host") in ends:
                continue  # its own ends, and boundary events drawn on their borders
            if any(segment_crosses(p, q, _box(shape)) for p, q in zip(points, points[1:], strict=False)):
                problems.append(f"flow {flow['id']} runs through {shape_id}")
    for i, label in enumerate(labels):
        problems += [f"label {label['id']} lies on {shape_id}" for shape_id, shape in shapes.items()
                     if overlap(_box(label), _box(shape))]
        problems += [f"label {label['id']} lies on {other['id']}" for other in labels[i + 1:]
                     if overlap(_box(label), _box(other))]
    return problems
