"""The apps are layers: an app imports only from its own layer and those below it,

    people < metrics < goals < notifications < checkins, recognition < dashboards

and the project's top (settings, URLs, the WSGI/ASGI entry points) may import anything. The
project's shared plumbing (the DRF conventions, pagination, progress bars, the Celery app,
request logging) sits below every app and imports none. Every module is read with `ast`, imports
inside functions included (a function-level import is still a dependency, only a later one);
templates are held to the same order for the tag libraries they load and the templates they
include or extend. README's "Layout" section draws this picture."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# app -> rank; an app may import from apps of a lower or the same rank.
RANKS = {
    "goals_project.people": 0,
    "metrics": 1,
    "goals": 2,
    "notifications": 3,
    "checkins": 4,
    "recognition": 4,
    "dashboards": 5,
}
# Below every app: they import no app and nothing of the top.
PLUMBING = {
    "goals_project.api",
    "goals_project.pagination",
    "goals_project.progress_bars",
    "goals_project.celery",
    "goals_project.observability",
}
# The top: it wires the apps together and may import anything.
TOP = {
    "goals_project",
    "goals_project.settings",
    "goals_project.urls",
    "goals_project.api_urls",
    "goals_project.wsgi",
    "goals_project.asgi",
}


def layer(module: str) -> str | None:
    """The app, plumbing module or top module that `module` belongs to (None: not ours;
    "unplaced" for a module of the project package that is in none of the lists above)."""
    for app in sorted(RANKS, key=len, reverse=True):
        if module == app or module.startswith(app + "."):
            return app
    for name in PLUMBING | TOP:
        if module == name or (name != "goals_project" and module.startswith(name + ".")):
            return name
    return "unplaced" if module.startswith("goals_project.") else None


def project_modules() -> list[tuple[Path, str]]:
    found = []
    for package in ["goals_project", *[app for app in RANKS if "." not in app]]:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((path, ".".join(parts)))
    return found


def imported(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, module) for every import of the file, at any depth, relative ones resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                # `from package import module` depends on that module; else on `target`.
                submodule = ROOT / target.replace(".", "/") / alias.name
                if submodule.with_suffix(".py").exists() or submodule.is_dir():
                    found.append((node.lineno, f"{target}.{alias.name}"))
                else:
                    found.append((node.lineno, target))
    return found


def refused(source: str, target: str) -> str | None:
    """Why `source` may not depend on `target`, or None when it may."""
    if source == target or source in TOP:
        return None
    if source in PLUMBING:
        return None if target in PLUMBING else "the plumbing imports no app and nothing above it"
    if target in TOP:
        return "an app does not import the project's top"
    if target in PLUMBING:
        return None
    if RANKS[target] > RANKS[source]:
        return f"{source} (layer {RANKS[source]}) is below {target} (layer {RANKS[target]})"
    return None


def module_dependencies() -> list[tuple[str, str, str]]:
    """(where, source layer, target layer) of every import between two of our layers."""
    found = []
    for path, module in project_modules():
        source = layer(module)
        for line, name in imported(path, module):
            target = layer(name)
            if target is not None and source is not None and target != source:
                found.append((f"{path.relative_to(ROOT)}:{line} imports {name}", source, target))
    return found


TEMPLATE_LINK = re.compile(r"{%\s*(load|include|extends)\s+([^%]+?)\s*%}")


def tag_libraries() -> dict[str, str]:
    """Template tag library name -> the app that defines it."""
    return {
        path.stem: layer(".".join(path.relative_to(ROOT).parent.parent.parts))
        for path in ROOT.glob("**/templatetags/*.py")
        if ".venv" not in path.parts and path.stem != "__init__"
    }


def template_dependencies() -> list[tuple[str, str, str]]:
    libraries = tag_libraries()
    found = []
    for app in RANKS:
        for path in sorted((ROOT / app.replace(".", "/") / "templates").rglob("*.html")):
            for number, text in enumerate(path.read_text().splitlines(), start=1):
                for kind, argument in TEMPLATE_LINK.findall(text):
                    if kind == "load":
                        targets = [libraries.get(name) for name in argument.split()]
                    else:
                        quoted = re.match(r"""["']([a-z_]+)/""", argument)
                        owner = quoted and next(
                            (a for a in RANKS if a.rsplit(".", 1)[-1] == quoted.group(1)), None
                        )
                        targets = [owner]
                    for target in targets:
                        if target is not None and target != app:
                            where = f"{path.relative_to(ROOT)}:{number} {kind} {argument}"
                            found.append((where, app, target))
    return found


def test_every_module_of_the_project_package_has_a_place():
    """A new module of goals_project is put in the plumbing, the top or an app's package."""
    unplaced = [module for _, module in project_modules() if layer(module) == "unplaced"]
    assert unplaced == []


def test_no_module_imports_from_a_higher_layer():
    wrong = [
        f"{where}: {reason}"
        for where, source, target in module_dependencies()
        if (reason := refused(source, target))
    ]
    assert wrong == []


def test_no_template_uses_a_higher_layer():
    wrong = [
        f"{where}: {reason}"
        for where, source, target in template_dependencies()
        if (reason := refused(source, target))
    ]
    assert wrong == []


def test_apps_of_one_layer_depend_one_way():
    """checkins and recognition share a layer; one may read the other, not both ways (a circle)."""
    pairs = {(source, target) for _, source, target in module_dependencies()}
    circles = {
        tuple(sorted((source, target)))
        for source, target in pairs
        if source in RANKS and target in RANKS and (target, source) in pairs
    }
    assert circles == set()


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("goals", "goals_project.people", True),
        ("goals_project.people", "metrics", False),
        ("metrics", "goals", False),
        ("goals", "notifications", False),
        ("notifications", "checkins", False),
        ("checkins", "recognition", True),
        ("checkins", "dashboards", False),
        ("dashboards", "recognition", True),
        ("goals", "goals_project.urls", False),
        ("goals_project.api", "goals", False),
        ("goals_project.urls", "dashboards", True),
    ],
)
def test_the_rule_itself(source, target, allowed):
    assert (refused(source, target) is None) is allowed


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("from .models import Goal\n\ndef f():\n    from dashboards.charts import x\n")
    names = [name for _, name in imported(module, "goals.views")]
    assert "goals.models" in names and "dashboards.charts" in names
